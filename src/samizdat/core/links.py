"""Links to other sites on public pages carry ``rel="noreferrer"``.

Reader pages send ``Referrer-Policy: strict-origin`` (reader forms on copies of the site must
tell the app where they come from, see ``public_forms``), which would tell every site an
article links to which newsroom its reader came from. ``rel="noreferrer"`` on each link to
another site keeps that to the reader. The rewrite is on the response, so everything a reader
gets (editors' rich text, link cards, templates) and the static bundle, which renders through
the same request handling, have it. Links to the app's own addresses, to the origins allowed
to post reader forms (the mirrors) and relative links keep their referrer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from samizdat.core.public_forms import known_origins, origin_of

Handler = Callable[[HttpRequest], HttpResponse]

# An <a> tag whose href is absolute (scheme or scheme-relative). Our templates and Wagtail's
# rich text write attributes in double quotes.
_EXTERNAL_A = re.compile(rb'<a\s[^>]*?href="(?P<href>(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^"]*)"[^>]*>')
_REL = re.compile(rb'\srel="(?P<value>[^"]*)"')


def add_noreferrer(html: bytes, own: set[str]) -> bytes:
    """``html`` with ``noreferrer`` added to the ``rel`` of every link to an origin not in
    ``own``."""

    def rewrite(match: re.Match[bytes]) -> bytes:
        tag = match.group(0)
        href = match.group("href").decode("utf-8", "replace").replace("&amp;", "&")
        origin = origin_of(href if not href.startswith("//") else "https:" + href)
        if origin in own or origin.replace("https://", "http://", 1) in own:
            return tag
        rel = _REL.search(tag)
        if rel is None:
            return (
                tag[:-1].rstrip(b"/ ")
                + b' rel="noreferrer"'
                + (b" />" if tag.endswith(b"/>") else b">")
            )
        values = rel.group("value").split()
        if b"noreferrer" in (v.lower() for v in values):
            return tag
        start, end = rel.span("value")
        return tag[:start] + b" ".join([*values, b"noreferrer"]) + tag[end:]

    return _EXTERNAL_A.sub(rewrite, html)


def noreferrer_links(get_response: Handler) -> Handler:
    """Middleware: public HTML pages' links to other sites get ``rel="noreferrer"``."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            request.path.startswith(("/admin/", "/django-admin/"))
            or getattr(response, "streaming", False)
            or not response.get("Content-Type", "").startswith("text/html")
            or b"//" not in response.content
        ):
            return response
        content = add_noreferrer(response.content, known_origins())
        if content != response.content:
            response.content = content
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(content))
        return response

    return middleware
