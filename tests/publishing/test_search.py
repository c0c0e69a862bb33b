"""Searching the archive: found on publish, per language, in every form of a word, best and
newest first, robust to odd queries; the demo's search answers as soon as it is seeded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings
from wagtail.models import Page
from wagtail.rich_text import RichText
from wagtail.search.models import IndexEntry

from samizdat.core.management.commands.demo import seed_demo_content
from samizdat.publishing.models import ArticlePage, SectionPage
from samizdat.publishing.search import stems
from tests import factories
from tests.publishing.helpers import card_titles, page_html, parse_html

pytestmark = pytest.mark.django_db


def search(client: Client, language: str, query: str) -> str:
    return page_html(client, f"/{language}/search/?{urlencode({'q': query})}")


def body(text: str) -> list[tuple[str, Any]]:
    return [("paragraph", RichText(f"<p>{text}</p>"))]


def test_publishing_indexes_the_article_at_once(client: Client, newsroom: dict[str, Any]) -> None:
    article = factories.ArticlePageFactory(
        parent=newsroom["culture"],
        title="Opera season",
        slug="opera",
        body=body("The baritone sang despite the blackout."),
    )
    # The immediate task backend indexes synchronously: no worker, no explicit update_index.
    assert IndexEntry.objects.filter(object_id=str(article.pk)).exists()
    html = search(client, "en", "baritone")
    assert "1 result for “baritone”" in html
    assert card_titles(parse_html(html)) == ["Opera season"]


def test_republishing_updates_the_index(client: Client, newsroom: dict[str, Any]) -> None:
    lead = ArticlePage.objects.get(pk=newsroom["lead"].pk)
    assert "Nothing found for “saxophonist”" in search(client, "en", "saxophonist")
    lead.body = body("A saxophonist testified for the defence.")
    lead.save_revision().publish()
    assert card_titles(parse_html(search(client, "en", "saxophonist"))) == [
        "Court opens trial of reporter"
    ]


def test_absent_word_finds_nothing(client: Client, newsroom: dict[str, Any]) -> None:
    html = search(client, "en", "zeppelin")
    assert "Nothing found for “zeppelin”." in html
    assert "in any of its forms" in html
    field = next(
        node for node in parse_html(html).iter("input") if node.get("id") == "search-page-q"
    )
    assert field.get("value") == "zeppelin"
    assert card_titles(parse_html(html)) == []


def test_empty_query_shows_only_the_form(client: Client, newsroom: dict[str, Any]) -> None:
    for path in ["/en/search/", "/en/search/?q=", "/en/search/?q=%20%20"]:
        html = page_html(client, path)
        assert 'id="search-page-q"' in html
        assert "result-count" not in html
        assert card_titles(parse_html(html)) == []


def test_overlong_query_is_cut_to_200_characters(client: Client, newsroom: dict[str, Any]) -> None:
    query = "bold " + "x" * 400
    html = search(client, "en", query)
    field = next(
        node for node in parse_html(html).iter("input") if node.get("id") == "search-page-q"
    )
    assert field.get("value") == query[:200]
    assert "x" * 201 not in html


def test_russian_search_finds_only_russian_articles(
    client: Client, newsroom: dict[str, Any]
) -> None:
    section = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    factories.ArticlePageFactory(
        parent=section,
        title="Суд над журналистом",
        slug="sud",
        body=body("Court hearing in Moscow: репортёр остаётся под арестом."),
    )
    english = card_titles(parse_html(search(client, "en", "court")))
    assert english == ["Court opens trial of reporter"]
    russian = card_titles(parse_html(search(client, "ru", "court")))
    assert russian == ["Суд над журналистом"]
    assert card_titles(parse_html(search(client, "ru", "bold"))) == []


def russian_section() -> SectionPage:
    return factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )


def published_days_ago(article: ArticlePage, days: float) -> None:
    Page.objects.filter(pk=article.pk).update(
        first_published_at=timezone.now() - timedelta(days=days)
    )


def test_russian_search_finds_every_form_of_a_word(
    client: Client, newsroom: dict[str, Any]
) -> None:
    section = russian_section()
    stories = {
        "Приговор оглашён": "Суд вынес приговор журналисту.",
        "Заседание перенесли": "Заседание суда перенесли на весну.",
        "Свидетель молчал": "В суде выступил свидетель обвинения.",
        "Адвокат не сдаётся": "Адвокат спорил с судом до вечера.",
    }
    for number, (title, text) in enumerate(stories.items()):
        factories.ArticlePageFactory(
            parent=section, title=title, slug=f"sud-{number}", body=body(text)
        )
    factories.ArticlePageFactory(
        parent=section, title="Выставка", slug="vystavka", body=body("Художник показал сад.")
    )
    for query in ["суд", "суда", "суде", "судом", "Суды"]:
        html = search(client, "ru", query)
        assert sorted(card_titles(parse_html(html))) == sorted(stories), query
        assert f"4 результата по запросу «{query}»" in html
    # A word's forms, not its letters: "сад" (garden) is not "суд".
    assert card_titles(parse_html(search(client, "ru", "садом"))) == ["Выставка"]


def test_english_search_finds_every_form_of_a_word(
    client: Client, newsroom: dict[str, Any]
) -> None:
    for title, text in [
        ("Two courts disagree", "The regional courts ruled both ways."),
        ("Ruling is final", "The court\u2019s ruling cannot be appealed."),
    ]:
        factories.ArticlePageFactory(parent=newsroom["news"], title=title, body=body(text))
    expected = ["Court opens trial of reporter", "Ruling is final", "Two courts disagree"]
    for query in ["court", "courts", "court's", "COURT\u2019S"]:
        assert sorted(card_titles(parse_html(search(client, "en", query)))) == expected, query
    # Every word counts, in any form.
    assert card_titles(parse_html(search(client, "en", "courts verdict"))) == []
    assert card_titles(parse_html(search(client, "en", "appeals court"))) == ["Ruling is final"]
    # "ruled" and "ruling" are one word to the stemmer; the headline counts more.
    assert card_titles(parse_html(search(client, "en", "rules"))) == [
        "Ruling is final",
        "Two courts disagree",
    ]


def test_query_of_punctuation_only_finds_nothing(client: Client, newsroom: dict[str, Any]) -> None:
    html = search(client, "en", "*** ??? ---")
    assert "Nothing found for “*** ??? ---”." in html
    assert card_titles(parse_html(html)) == []


def test_more_relevant_story_comes_before_a_newer_one(
    client: Client, newsroom: dict[str, Any]
) -> None:
    older = factories.ArticlePageFactory(
        parent=newsroom["news"],
        title="Tribunal hears the blockade case",
        standfirst="The tribunal sat for the first time.",
        body=body("Lawyers asked the tribunal to hear the tribunals of other regions."),
    )
    newer = factories.ArticlePageFactory(
        parent=newsroom["culture"],
        title="Harvest festival returns",
        standfirst="Music, bread and dancing in the square.",
        body=body(
            "The festival drew crowds from every village along the river. Bakers sold "
            "bread until dark, a choir sang old songs, and a retired tribunal clerk "
            "judged the pie contest."
        ),
    )
    published_days_ago(older, 40)
    published_days_ago(newer, 1)
    assert card_titles(parse_html(search(client, "en", "tribunals"))) == [
        older.title,
        newer.title,
    ]


def test_newer_story_comes_first_among_equally_relevant(
    client: Client, newsroom: dict[str, Any]
) -> None:
    titles = ["Lighthouse keeper retires", "Lighthouse keeper returns", "Lighthouse keeper writes"]
    ages = [700, 3, 90]
    for title, days in zip(titles, ages, strict=True):
        article = factories.ArticlePageFactory(
            parent=newsroom["culture"],
            title=title,
            standfirst="A story from the coast.",
            body=body("The lighthouse keepers of the northern coast."),
        )
        published_days_ago(article, days)
    found = card_titles(parse_html(search(client, "en", "lighthouse keeper")))
    assert found == [
        "Lighthouse keeper returns",
        "Lighthouse keeper writes",
        "Lighthouse keeper retires",
    ]


def test_results_page_through_in_rank_order(
    client: Client, newsroom: dict[str, Any], settings: Settings
) -> None:
    settings.ARTICLES_PER_PAGE = 2
    for days, title in enumerate(["Ferry one", "Ferry two", "Ferry three"]):
        article = factories.ArticlePageFactory(
            parent=newsroom["news"], title=title, body=body("The ferries run again.")
        )
        published_days_ago(article, days + 1)
    first = search(client, "en", "ferry")
    assert "3 results for “ferry”" in first
    assert card_titles(parse_html(first)) == ["Ferry one", "Ferry two"]
    assert "Page 1 of 2" in first and "q=ferry&amp;page=2" in first
    second = page_html(client, "/en/search/?q=ferry&page=2")
    assert card_titles(parse_html(second)) == ["Ferry three"]
    assert "Page 2 of 2" in second


def test_an_edit_replaces_the_stems_in_the_index(client: Client, newsroom: dict[str, Any]) -> None:
    lead = ArticlePage.objects.get(pk=newsroom["lead"].pk)
    lead.body = body("Two saxophonists testified for the defence.")
    lead.save_revision().publish()
    assert card_titles(parse_html(search(client, "en", "saxophonist"))) == [lead.title]
    lead = ArticlePage.objects.get(pk=lead.pk)
    lead.body = body("A drummer testified for the defence.")
    lead.save_revision().publish()
    assert "Nothing found" in search(client, "en", "saxophonist")
    assert card_titles(parse_html(search(client, "en", "drummers"))) == [lead.title]


def test_unpublished_or_deleted_story_is_no_longer_found(
    client: Client, newsroom: dict[str, Any]
) -> None:
    section = russian_section()
    story = factories.ArticlePageFactory(
        parent=section, title="Суд над редактором", slug="sud-redaktor", body=body("Текст.")
    )
    assert card_titles(parse_html(search(client, "ru", "суде"))) == ["Суд над редактором"]
    story.unpublish()
    assert "Ничего не найдено по запросу «суде»." in search(client, "ru", "суде")
    story.delete()
    assert not IndexEntry.objects.filter(object_id=str(story.pk)).exists()
    assert "Ничего не найдено по запросу «суде»." in search(client, "ru", "суде")


def test_languages_without_a_stemmer_find_whole_words() -> None:
    # Ukrainian has no Snowball stemmer: its words are searched as written, lower-cased.
    assert stems("Суд у Києві", "uk") == ["суд", "у", "києві"]
    assert stems("Court\u2019s", "xx") == ["courts"]
    assert stems("Courts and the court\u2019s", "en") == ["court", "and", "the", "court"]
    assert stems("Суде", "ru") == ["суд"]


def test_demo_search_answers_at_once_without_a_worker(
    client: Client, site_tree: Any, settings: Settings
) -> None:
    # As `samizdat demo` runs: tasks go to the database queue, and no worker has run yet.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": list(settings.TASK_QUEUES),
        }
    }
    seed_demo_content()
    assert DBTaskResult.objects.filter(
        task_path="modelsearch.tasks.insert_or_update_object_task", status="READY"
    ).exists()
    for language, query in [("en", "courts"), ("ru", "суде")]:
        found = card_titles(parse_html(search(client, language, query)))
        assert found, (language, query)
    assert IndexEntry.objects.count() >= ArticlePage.objects.count()
