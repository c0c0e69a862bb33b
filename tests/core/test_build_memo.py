"""Values remembered for one bundle build: computed once inside it, never outside it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from samizdat.core import build_memo
from samizdat.mirrors import render
from samizdat.publishing.feeds import article_html


def counting() -> tuple[list[int], Any]:
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return f"value {len(calls)}"

    return calls, compute


def test_outside_a_build_every_call_computes() -> None:
    calls, compute = counting()
    assert build_memo.remembered("key", compute) == "value 1"
    assert build_memo.remembered("key", compute) == "value 2"
    assert len(calls) == 2 and not build_memo.is_building()


def test_inside_a_build_a_key_is_computed_once_and_forgotten_after() -> None:
    calls, compute = counting()
    with build_memo.building():
        assert build_memo.is_building()
        assert [build_memo.remembered("key", compute) for _ in range(3)] == ["value 1"] * 3
        assert build_memo.remembered(("other", "key"), compute) == "value 2"
        with build_memo.building():  # nested: the same build
            assert build_memo.remembered("key", compute) == "value 1"
    with build_memo.building():  # the next build starts afresh
        assert build_memo.remembered("key", compute) == "value 3"
    assert len(calls) == 3 and not build_memo.is_building()


def test_another_thread_is_not_in_the_build() -> None:
    """The worker that builds runs other tasks in other threads: they never get a value
    remembered by the build."""
    calls, compute = counting()
    seen: list[str] = []
    with build_memo.building():
        build_memo.remembered("key", compute)
        thread = threading.Thread(target=lambda: seen.append(build_memo.remembered("key", compute)))
        thread.start()
        thread.join()
    assert seen == ["value 2"] and len(calls) == 2


@pytest.mark.django_db
def test_the_donate_form_is_rendered_once_a_language_in_a_build(
    newsroom: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from samizdat.donations.templatetags import appeal

    calls: list[str] = []
    original = appeal.donate_form_context

    def donate_form_context(language: str, **kwargs: Any) -> dict[str, Any]:
        calls.append(language)
        return original(language, **kwargs)

    monkeypatch.setattr(appeal, "donate_form_context", donate_form_context)
    story = newsroom["news"].get_children().live().first()
    assert story is not None
    path = render.public_path(story.url_path, render.language_roots())
    assert path is not None
    renderer = render.Renderer()

    outside = [render.body_of(renderer.get(path)) for _ in range(2)]
    assert len(calls) == 2
    with build_memo.building():
        inside = [render.body_of(renderer.get(path)) for _ in range(3)]
    assert len(calls) == 3
    assert b'class="donate-form"' in outside[0]
    assert set(inside) == {outside[0]} == set(outside)


@pytest.mark.django_db
def test_a_story_in_several_feeds_is_rendered_once_a_build(newsroom: dict[str, Any]) -> None:
    from samizdat.publishing.models import ArticlePage

    story = ArticlePage.objects.live().first()
    assert story is not None
    with build_memo.building():
        first = article_html(story)
        story.standfirst = "Changed after the build read it"
        assert article_html(story) is first  # the same revision: the same text
        story.latest_revision_id = (story.latest_revision_id or 0) + 1
        assert "Changed after the build read it" in article_html(story)
    assert "Changed after the build read it" in article_html(story)


def _more_stories(newsroom: dict[str, Any]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tests import factories

    now = timezone.now()
    for n in range(1, 8):
        factories.ArticlePageFactory(
            parent=newsroom["news"] if n % 3 else newsroom["culture"],
            title=f"Story {n}",
            slug=f"story-{n}",
            published_at=now - timedelta(hours=n),
            authors=[newsroom["anna"]] if n % 2 else [newsroom["pavel"]],
            tags=["courts"] if n % 2 else ["elections"],
        )


@pytest.mark.django_db
def test_articles_read_more_and_feeds_are_the_same_inside_a_build_for_fewer_queries(
    newsroom: dict[str, Any], settings: Any
) -> None:
    """A build reads articles several at a time, every story's authors and tags at once,
    each listing whole once (its archive pages cut from it) and each story's card and feed
    entry once: its pages are byte for byte those the app serves outside a build."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from samizdat.publishing.models import ArticlePage

    settings.ARTICLES_PER_PAGE = 2  # archive pages for the sections, tags and authors
    _more_stories(newsroom)
    roots = render.language_roots()
    stories = ArticlePage.objects.live().order_by("path")
    paths = [render.public_path(story.url_path, roots) or "" for story in stories]
    paths += [path for path in render.all_paths() if path not in paths]  # listings, feeds…
    archive = [path for path in paths if "/page/" in path]
    for listing in ("/en/news/page/2/", "/en/tags/courts/page/1/", "/en/authors/anna-berg/page/1/"):
        assert listing in archive
    renderer = render.Renderer()

    def bodies() -> tuple[list[bytes], int]:
        with CaptureQueriesContext(connection) as queries:
            found = [render.body_of(renderer.get(path)) for path in paths]
        return found, len(queries)

    outside, outside_queries = bodies()
    with build_memo.building():
        inside, inside_queries = bodies()
    assert inside == outside
    assert any(b'class="card' in body for body in inside)
    assert sum(b'<form class="signup"' in body for body in inside) > len(stories)
    assert inside_queries < outside_queries


@pytest.mark.django_db
def test_an_article_withdrawn_before_a_build_reads_it_is_not_served(
    newsroom: dict[str, Any],
) -> None:
    from samizdat.publishing.models import ArticlePage
    from samizdat.publishing.views import live_article

    _more_stories(newsroom)
    first, second = ArticlePage.objects.live().order_by("path")[:2]
    with build_memo.building():
        assert live_article(first.url_path + "no-such-story/") is None  # the order is read
        second.unpublish()
        assert live_article(second.url_path) is None
        found = live_article(first.url_path)
        assert found is not None and found.pk == first.pk
        assert live_article(first.url_path) is not found  # each render its own page
