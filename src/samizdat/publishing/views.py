"""Reader-facing views: page serving with a one-query route, robots.txt, errors, and the
audio, video and subtitle files of public stories."""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePosixPath

from django.conf import settings
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotFound,
    HttpResponseServerError,
    StreamingHttpResponse,
)
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_safe
from wagtail import views as wagtail_views
from wagtail.models import Site
from wagtail.url_routing import RouteResult

from samizdat.core import build_memo, storage
from samizdat.core.languages import known
from samizdat.core.paths import root_for_language, roots_for
from samizdat.publishing.audio_video import mime_type
from samizdat.publishing.models import ArticlePage, public_media_names

ARTICLES_READ_AHEAD = 25  # articles a bundle build reads in one query


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Serve a Wagtail page, finding articles by their URL path in a single query.

    Wagtail's own routing walks the tree one level (one query) at a time. An article, the page
    readers load most, sits at a known depth below its language root, so it is looked up
    directly; everything else (sections with their sub-routes, feeds, tags, search) goes
    through Wagtail's routing unchanged.
    """
    if request.method in ("GET", "HEAD") and (site := Site.find_for_request(request)) is not None:
        root = root_for_language(translation.get_language(), roots_for(request))
        components = [part for part in path.split("/") if part]
        if root is not None and len(components) == 2:
            article = live_article(root + "/".join(components) + "/")
            if article is not None:
                request._wagtail_route_for_request = RouteResult(article)  # type: ignore[attr-defined]
        if not hasattr(request, "_wagtail_route_for_request") and build_memo.is_building():
            request._wagtail_route_for_request = _route_in_build(request, site, components)  # type: ignore[attr-defined]
    return wagtail_views.serve(request, path)


def _route_in_build(request: HttpRequest, site: Site, components: list[str]) -> RouteResult | None:
    """Wagtail's ``Page.route_for_request`` in a bundle build (``build_memo``), where the
    site's root page in the active language is read once, as each page on the way is
    (``NewsroomPage.route``): the listings, feeds and archive pages of a section, a tag or an
    author each walked the tree again, one query or two a level."""
    home = build_memo.remembered(
        ("site root", site.pk, translation.get_language()),
        lambda: site.root_page.localized.specific,
    )
    try:
        return home.route(request, components)
    except Http404:
        return None


def _live_articles() -> QuerySet[ArticlePage]:
    return ArticlePage.objects.live().select_related("lead_image", "locale")


def live_article(url_path: str) -> ArticlePage | None:
    """The live article at this Wagtail ``url_path``, with its lead image and locale.

    A bundle build renders the articles one after the other in the page tree's order. There
    (``build_memo``) the article and the next ones in that order are read in one query, each
    handed out once: a query for one page costs the ORM more than the database, and the build
    has a thousand of them."""
    if not build_memo.is_building():
        return _live_articles().filter(url_path=url_path).first()
    read_ahead: dict[str, ArticlePage] = build_memo.remembered(("articles read ahead",), dict)
    if (article := read_ahead.pop(url_path, None)) is not None:
        return article
    order, positions = build_memo.remembered(("article order",), _article_order)
    position = positions.get(url_path)
    if position is None:  # published since the build started
        return _live_articles().filter(url_path=url_path).first()
    batch = order[position : position + ARTICLES_READ_AHEAD]
    for page in _live_articles().filter(url_path__in=batch).order_by("-pk"):
        read_ahead[page.url_path] = page  # as first(): the lowest pk wins
    return read_ahead.pop(url_path, None)


def _article_order() -> tuple[list[str], dict[str, int]]:
    """The ``url_path`` of every live article in the page tree's order, and their positions."""
    order = list(ArticlePage.objects.live().order_by("path").values_list("url_path", flat=True))
    return order, {url_path: position for position, url_path in enumerate(order)}


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        *(f"Disallow: /{code}/search/" for code, _name in settings.LANGUAGES),
        "",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
        f"Sitemap: {settings.SITE_URL}/news-sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    template = loader.get_template("404.html")
    return HttpResponseNotFound(template.render({"home_path": home_path(request)}, request))


def server_error(request: HttpRequest) -> HttpResponse:
    """The apology, in every language of the newsroom (the reader's may be unknown here).
    Deliberately free of database access: the database may be why we are here."""
    messages = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            messages.append(
                {
                    "language": language,
                    "title": gettext("Something went wrong on our side"),
                    "text": gettext(
                        "The page could not be shown just now. Please try again in a minute. "
                        "If the site stays unreachable, our mirrors and newsletter carry the "
                        "same stories."
                    ),
                }
            )
    template = loader.get_template("500.html")
    return HttpResponseServerError(
        template.render({"SITE_NAME": settings.SITE_NAME, "messages": messages})
    )


def home_path(request: HttpRequest) -> str:
    return f"/{known(translation.get_language())}/"


RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# Renditions the app serves itself (those no bundle holds, or every one when no web server
# stands in front): a day, as nginx does for what the bundle lacks.
RENDITION_CACHE = "public, max-age=86400"
IMAGE_TYPES = {
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}


def _stored_response(
    request: HttpRequest, name: str, content_type: str, cache_control: str
) -> HttpResponseBase:
    """``name`` from the uploads' storage (this node's disk or the shared bucket), streamed,
    with its length and byte ranges: ``Range: bytes=a-b`` answers 206 with those bytes, a
    range past the end 416. A 404 when there is no such file."""
    if not name or any(part in ("", ".", "..") for part in name.split("/")):
        raise Http404("No such file")
    size = storage.size(name)
    if size is None:
        raise Http404("No such file")
    match = RANGE.match(request.headers.get("Range", "").replace(" ", ""))
    response: HttpResponseBase
    if match is None or match.groups() == ("", ""):
        response = StreamingHttpResponse(storage.stream(name), content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:  # the last N bytes
            start, end = max(size - int(last), 0), size - 1
        if start >= size or start > end:
            response = HttpResponse(status=416, content_type=content_type)
            response["Content-Range"] = f"bytes */{size}"
            response["Accept-Ranges"] = "bytes"
            return response
        response = StreamingHttpResponse(
            storage.stream(name, start, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache_control
    return response


@require_safe
def media_file(request: HttpRequest, name: str) -> HttpResponseBase:
    """An audio, video or subtitle file a live public story links (any other: 404), with
    byte ranges, which players need to seek. The static bundle's server (nginx) does the
    same. Staff signed in with their second factor get any of them, to play what they
    preview."""
    staff = request.user.is_staff and getattr(request.user, "is_verified", lambda: False)()
    if not staff and name not in public_media_names():
        raise Http404("No such file")
    content_type = mime_type(name)
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    return _stored_response(request, name, content_type, "public, max-age=3600")


@require_safe
def rendition_file(request: HttpRequest, name: str) -> HttpResponseBase:
    """A rendition (``/media/images/<file>``), on every node from the shared storage: every
    one may be served, never an original (Wagtail keeps those in ``original_images/``)."""
    suffix = PurePosixPath(name).suffix.lower()
    content_type = IMAGE_TYPES.get(suffix) or mimetypes.guess_type(name)[0]
    if content_type is None or not content_type.startswith("image/"):
        raise Http404("No such file")
    return _stored_response(request, name, content_type, RENDITION_CACHE)
