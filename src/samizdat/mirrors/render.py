"""Rendering the public site: every public address, rendered as a reader would get it.

Pages are rendered by the dynamic site itself (the same middleware, views and templates,
through an in-process request), so a copy holds exactly the HTML readers get from the app;
its links are already relative (``core/paths.py``). Which addresses exist is the pages'
business (``public_paths`` on each page) and the apps' (``hooks.PUBLIC_PATHS``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from wagtail.models import Page

from samizdat.core import hooks
from samizdat.core.appearance import site_name
from samizdat.core.paths import FOR_A_COPY, language_roots, public_path

# The uploads a copy may hold, by folder: renditions, the audio, video and subtitle files (tags
# removed on upload) and the documents that the public pages link (publishing/documents.py).
# Original images (with whatever the camera or the editor's program wrote) stay on the server;
# a document or a media file no public page links is never copied.
PUBLIC_MEDIA: tuple[str, ...] = ("media/images/", "media/media/", "media/documents/")
# What follows "media/" in a link, whatever "../" or "./" lead to it. Starting with the literal
# lets the regex engine jump from one "media/" to the next instead of trying every position of
# every page (sixty times faster over a build's pages; the same matches).
MEDIA_LINK = re.compile(rb'media/([^\s"\',?#<>]+)')


def all_paths() -> list[str]:
    """Every public URL path of the site, in a stable order: each live public page's own
    addresses (its listing pages, feeds…), then those the apps register."""
    roots = language_roots()
    paths: list[str] = []
    live = Page.objects.live().public().filter(depth__gt=1).specific().order_by("path")
    for page in live.iterator(chunk_size=500):
        public_paths = getattr(page, "public_paths", None)
        if public_paths is not None:
            paths += public_paths(roots)
        elif (base := public_path(page.url_path, roots)) is not None:
            paths.append(base)
    return list(dict.fromkeys([*paths, *hooks.collect(hooks.PUBLIC_PATHS)]))


def live_pages() -> int:
    """How many live public pages the site has (each has one public address or more)."""
    return Page.objects.live().public().filter(depth__gt=1).count()


class Renderer:
    """Renders public paths through the app's own request handling, as a reader would get them."""

    def __init__(self) -> None:
        site = urlsplit(settings.SITE_URL)
        self.handler = BaseHandler()
        self.handler.load_middleware()
        self.factory = RequestFactory(HTTP_HOST=site.netloc or "localhost")
        # As the app sees a request behind its TLS proxy (else SSL_REDIRECT would answer 301).
        self.secure = site.scheme == "https" or settings.SECURE_SSL_REDIRECT

    def get(self, path: str) -> HttpResponse:
        request = self.factory.get(path, secure=self.secure)
        setattr(request, FOR_A_COPY, True)
        return self.handler.get_response(request)  # type: ignore[return-value]


def public_only(page: Any, request: Any, *args: Any) -> None:
    """A page behind a view restriction (a password, a login, and the pages under it) is not
    public: rendered for the bundle it answers 404, never its password form, so a rebake
    removes it like an unpublished page. Readers of the app get Wagtail's own answer."""
    if getattr(request, FOR_A_COPY, False) and page.get_view_restrictions().exists():
        raise Http404("not public")


def body_of(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


def root_page() -> bytes:
    """``index.html`` at the root of a copy: the languages of the site (the app redirects)."""
    html = render_to_string(
        "mirrors/bundle_root.html",
        {
            "languages": settings.LANGUAGES,
            "default": settings.LANGUAGE_CODE,
            "SITE_NAME": site_name(),
        },
    )
    return html.encode()


def not_found_page(renderer: Renderer) -> bytes:
    """The page servers send for a missing address. It is served at any depth, so its links
    (written from the root) are anchored by ``<base>`` at the root of the site's address."""
    body = body_of(renderer.get("/404.html"))
    base = urlsplit(settings.SITE_URL).path.rstrip("/") + "/"
    return body.replace(b"<head>", f'<head>\n<base href="{base}">'.encode(), 1)


def media_links(html: bytes) -> set[str]:
    """The uploads a page links in the public folders (``PUBLIC_MEDIA``): renditions,
    documents, audio, video and subtitles."""
    if b"media/" not in html:
        return set()
    # Links are percent-encoded (a document named in Cyrillic); the files are not.
    found = {
        "media/" + unquote(name.decode("utf-8", "replace")) for name in MEDIA_LINK.findall(html)
    }
    return {rel for rel in found if rel.startswith(PUBLIC_MEDIA) and ".." not in rel.split("/")}
