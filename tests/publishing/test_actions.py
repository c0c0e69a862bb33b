from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from django.core.management import call_command
from wagtail.models import Locale

from samizdat.publishing.actions import ensure_site_tree
from samizdat.publishing.models import ArticlePage, AuthorPage, HomePage
from tests import factories

pytestmark = pytest.mark.django_db


def test_site_tree_is_built_once(site_tree: Any) -> None:
    assert ensure_site_tree() == site_tree
    assert HomePage.objects.count() == 2
    assert set(HomePage.objects.values_list("locale__language_code", flat=True)) == {"en", "ru"}
    russian = HomePage.objects.get(locale__language_code="ru")
    assert russian.translation_key == site_tree.translation_key and russian.live


def test_translating_an_article_credits_the_translated_author_pages(
    newsroom: dict[str, Any],
) -> None:
    russian = Locale.objects.get(language_code="ru")
    anna_ru = newsroom["anna"].copy_for_translation(russian, copy_parents=True, alias=False)
    anna_ru.title = "Анна Берг"
    anna_ru.save_revision().publish()

    translated = newsroom["lead"].copy_for_translation(russian, copy_parents=True, alias=False)
    translated = ArticlePage.objects.get(pk=translated.pk)
    credited = [link.author for link in translated.article_authors.order_by("sort_order", "pk")]
    assert credited == [anna_ru, newsroom["pavel"]]  # Pavel has no Russian page: kept as is
    latest = translated.get_latest_revision_as_object()
    assert [link.author_id for link in latest.article_authors.all()] == [
        anna_ru.pk,
        newsroom["pavel"].pk,
    ]
    assert AuthorPage.objects.filter(locale=russian).count() == 1
    assert factories.home("ru").live


def test_migrate_rebuilds_the_skeleton_without_a_line_per_page(
    site_tree: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """``migrate`` at normal verbosity prints what Django has to say, not one log line per
    page of the skeleton it (re)builds."""
    from samizdat.newsletter.models import NewsletterPage

    for home in HomePage.objects.all():
        home.delete()
    caplog.set_level(logging.INFO)  # as a server logs by default

    call_command("migrate", interactive=False, verbosity=1, stdout=io.StringIO())

    assert HomePage.objects.count() == 2 and NewsletterPage.objects.count() == 2
    ours = [r for r in caplog.records if r.name.split(".")[0] in {"samizdat", "wagtail"}]
    assert [record.getMessage() for record in ours] == []
