"""Reader-facing addresses core serves itself: the appearance's stylesheet."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from samizdat.core import appearance


@require_safe
def appearance_stylesheet(request: HttpRequest) -> HttpResponse:
    """``/appearance.css``: the accent colour and fonts chosen in Settings → Appearance."""
    response = HttpResponse(
        appearance.stylesheet(appearance.load()), content_type="text/css; charset=utf-8"
    )
    # Pages link it with a version query that changes with its content.
    response["Cache-Control"] = "public, max-age=300"
    return response
