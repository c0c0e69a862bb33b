"""What the publishing app contributes to the rest (see ``samizdat.core.hooks``)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

import django_filters
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.pages.listing import PageFilterSet
from wagtail.admin.viewsets.pages import PageListingViewSet

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


PLAIN_NEWS = "news"  # the filter's value for stories without a label


class StoryFilterSet(PageFilterSet):
    """The filters of the stories' listing: Wagtail's, and the kind of story."""

    label = django_filters.ChoiceFilter(
        label=_("Label"),
        choices=[(PLAIN_NEWS, _("Plain news")), *models.STORY_LABELS],
        empty_label=_("Any"),
        method="filter_label",
    )

    class Meta:
        model = models.ArticlePage
        fields: list[str] = []

    def filter_label(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(label="" if value == PLAIN_NEWS else value)


class StoryListing(PageListingViewSet):
    """Pages → Stories in the admin: every article, filtered by label, language, date…"""

    model = models.ArticlePage
    name = "stories"
    icon = "doc-full"
    menu_label = _("Stories")
    add_to_admin_menu = True
    menu_order = 150
    filterset_class = StoryFilterSet
    columns = [
        *PageListingViewSet.index_view_class.base_columns,
        Column("label", label=_("Label"), accessor="get_label_display"),
    ]


@hooks.register("register_admin_viewset")
def story_listing() -> StoryListing:
    return StoryListing("stories")


hooks.register("before_serve_document", documents.refuse_unpublished)
