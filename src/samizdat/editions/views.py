"""The editions page of each language and the files it lists, rendered from the database
(the static bundle renders the same addresses)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_safe

from samizdat.core.paths import absolute
from samizdat.editions import build

# The HTML edition carries its own style and pictures as data: and runs no script.
FILE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'"


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


@require_safe
def editions_page(request: HttpRequest) -> HttpResponse:
    """Every week's files, newest first, with their sizes and signatures. The same page for
    every reader, so any cache or static copy may keep it."""
    language = _language()
    signed = bool(settings.BUNDLE_SIGNING_KEY)
    weeks = []
    for week in build.archive(language):
        made = build.files(week)
        weeks.append(
            {
                "week": week,
                "title": build.title(week),
                "dates": build.dates(week),
                "stories": len(made.stories),
                "files": [
                    {
                        "kind": kind,
                        "label": "HTML" if kind == "html" else "EPUB",
                        "path": week.path(kind),
                        "size": len(made.data(kind)),
                        "signature": week.path(kind, signature=True) if signed else None,
                    }
                    for kind in build.KINDS
                ],
            }
        )
    context: dict[str, Any] = {
        "weeks": weeks,
        "canonical_url": absolute(request.path),
        "translations": [
            {"language": code, "path": f"/{code}/editions/"} for code, _name in settings.LANGUAGES
        ],
        "language_links": [
            {"code": code, "name": name, "path": f"/{code}/editions/"}
            for code, name in settings.LANGUAGES
        ],
    }
    return render(request, "editions/editions_page.html", context)


def _week(slug: str) -> build.Week:
    week = build.Week.parse(slug, _language())
    if week is None or week not in build.archive(week.language):
        raise Http404("There is no edition of that week.")
    return week


@require_safe
def edition_file(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    week = _week(slug)
    response = HttpResponse(build.files(week).data(kind), content_type=build.CONTENT_TYPES[kind])
    if kind == "html":
        response.headers["Content-Security-Policy"] = FILE_POLICY
    else:
        response.headers["Content-Disposition"] = f'attachment; filename="{week.file_name(kind)}"'
    return response


@require_safe
def edition_signature(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    week = _week(slug)
    signature = build.signature(build.files(week).data(kind))
    if signature is None:
        raise Http404("This newsroom does not sign its files.")
    return HttpResponse(signature, content_type="text/plain; charset=us-ascii")
