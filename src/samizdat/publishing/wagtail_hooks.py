"""What the publishing app contributes to the rest (see ``samizdat.core.hooks``)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from django.urls import URLPattern, path
from wagtail import hooks

from samizdat.core.hooks import (
    DEMO_CONTENT,
    FORGET_CACHED,
    PERIODIC_JOBS,
    PUBLIC_PATHS,
    SEEDERS,
    URLS,
    Seeder,
)
from samizdat.publishing import actions, documents, models, sitemaps, views


@hooks.register(PERIODIC_JOBS)
def publish_scheduled(now: datetime.datetime) -> None:
    """Publish pages whose go-live time has come, so scheduling needs no cron."""
    actions.publish_scheduled_pages()


@hooks.register(DEMO_CONTENT, order=0)
def demo_newsroom() -> dict[str, int]:
    from samizdat.publishing.demo import seed_demo

    return seed_demo()


def _add_articles(
    count: int, options: Mapping[str, Any], progress: Callable[[int, int], None]
) -> int:
    from samizdat.publishing.seed import seed_articles

    return seed_articles(
        count,
        years=options["years"],
        index_for_search=not options["no_search_index"],
        progress=lambda done: progress(done, count),
    )


@hooks.register(SEEDERS, order=0)
def articles() -> Seeder:
    return Seeder(
        option="articles",
        noun="articles",
        help="How many published articles to add.",
        add=_add_articles,
        arguments=(
            (
                ("--years",),
                {"type": int, "default": 6, "help": "Spread them over this many years."},
            ),
            (("--no-search-index",), {"action": "store_true", "help": "Skip search indexing."}),
        ),
    )


@hooks.register(FORGET_CACHED)
def forget_cached() -> None:
    models.forget_navigation()
    models.forget_view_restrictions()
    models.forget_privacy_policy()


@hooks.register(PUBLIC_PATHS)
def machine_readable() -> list[str]:
    return sitemaps.sitemap_paths()


@hooks.register(URLS)
def urls() -> list[URLPattern]:
    return [
        path("robots.txt", views.robots_txt, name="robots_txt"),
        path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
        path(
            "sitemap-<slug:section>-<int:number>.xml",
            sitemaps.sitemap_section,
            name="sitemap-page",
        ),
        path("sitemap-<slug:section>.xml", sitemaps.sitemap_section, name="sitemap-section"),
        path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
        path(
            f"media/{documents.UPLOAD_FOLDER}<path:name>",
            documents.serve_document,
            name="public_document",
        ),
    ]


hooks.register("before_serve_document", documents.refuse_unpublished)
