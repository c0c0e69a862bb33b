"""sitemap.xml (an index over pages and articles) and a news sitemap of the last 48 hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe
from wagtail.models import Page

from samizdat.core.appearance import site_name
from samizdat.core.paths import absolute, language_roots, public_path
from samizdat.publishing.models import EPOCH, ArticlePage

NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000


class CanonicalSitemap(Sitemap):
    """A sitemap whose URLs use ``SAMIZDAT_SITE_URL``, whatever host the request came to."""

    limit = 10_000
    protocol = urlsplit(settings.SITE_URL).scheme or "https"

    def __init__(self) -> None:
        self.roots = language_roots()

    def get_domain(self, site: Any = None) -> str:
        return settings.SITE_URL.split("://", 1)[-1]

    def location(self, item: tuple[str, Any]) -> str:
        return public_path(item[0], self.roots) or "/"

    def lastmod(self, item: tuple[str, Any]) -> Any:
        return item[1]


class PageSitemap(CanonicalSitemap):
    """Home, section and author pages of every language."""

    changefreq = "hourly"

    def items(self) -> Any:
        return (
            Page.objects.live()
            .public()
            .not_type(ArticlePage)
            .filter(depth__gt=1)
            .order_by("path")
            .values_list("url_path", "last_published_at")
        )


class ArticleSitemap(CanonicalSitemap):
    def items(self) -> Any:
        return (
            ArticlePage.objects.live()
            .public()
            # Oldest first: a new story changes only the last sitemap page.
            .order_by("first_published_at", "id")
            .values_list("url_path", "last_published_at")
        )


SITEMAPS = {"pages": PageSitemap, "articles": ArticleSitemap}


def _sitemap_page(section: str, number: int) -> str:
    return f"/sitemap-{section}.xml" if number == 1 else f"/sitemap-{section}-{number}.xml"


def sitemap_paths() -> list[str]:
    """robots.txt and every sitemap page: the public addresses of machine-readable lists."""
    paths = ["/robots.txt", "/sitemap.xml", "/news-sitemap.xml"]
    for section, sitemap_class in SITEMAPS.items():
        pages = sitemap_class().paginator.num_pages
        paths += [_sitemap_page(section, number) for number in range(1, pages + 1)]
    return paths


def article_sitemap_paths(article: ArticlePage) -> list[str]:
    """The article sitemap pages that may change with ``article``: from the one that holds it
    (oldest first) to one past the last (a story that leaves may end a page)."""
    sitemap = ArticleSitemap()
    published = article.first_published_at or EPOCH
    older = (
        ArticlePage.objects.live()
        .public()
        .filter(
            Q(first_published_at__lt=published) | Q(first_published_at=published, pk__lt=article.pk)
        )
        .count()
    )
    last = max(1, sitemap.paginator.num_pages)
    return [_sitemap_page("articles", n) for n in range(older // sitemap.limit + 1, last + 2)]


@require_safe
def news_sitemap(request: HttpRequest) -> HttpResponse:
    roots = language_roots()
    since = timezone.now() - NEWS_WINDOW
    rows = (
        ArticlePage.objects.live()
        .public()
        .filter(first_published_at__gte=since)
        .order_by("-first_published_at")
        .values_list("url_path", "title", "first_published_at", "locale__language_code")[
            :NEWS_LIMIT
        ]
    )
    entries = [
        {
            "loc": absolute(public_path(url_path, roots) or "/"),
            "title": title,
            "date": date,
            "language": language,
        }
        for url_path, title, date, language in rows
    ]
    body = render_to_string(
        "publishing/news_sitemap.xml", {"entries": entries, "name": site_name()}
    )
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


@require_safe
def sitemap_section(request: HttpRequest, section: str, number: int = 1) -> HttpResponse:
    """Page ``number`` of one sitemap; the number is in the path so that every page is a file
    in the static bundle."""
    sitemap_class = SITEMAPS.get(section)
    if sitemap_class is None or (number == 1 and request.path.endswith("-1.xml")):
        raise Http404("No such sitemap")
    sitemap = sitemap_class()
    try:
        urls = sitemap.get_urls(page=number, protocol=sitemap.protocol)
    except EmptyPage as error:
        raise Http404("No such sitemap page") from error
    body = render_to_string("sitemap.xml", {"urlset": urls})
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    """The index of every sitemap page, with canonical absolute URLs."""
    entries = []
    for section, sitemap_class in SITEMAPS.items():
        pages = sitemap_class().paginator.num_pages
        for number in range(1, pages + 1):
            entries.append({"location": settings.SITE_URL + _sitemap_page(section, number)})
    body = render_to_string("sitemap_index.xml", {"sitemaps": entries})
    return HttpResponse(body, content_type="application/xml; charset=utf-8")
