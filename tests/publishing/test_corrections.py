"""Corrections and updates: dated notes on a story, in its revisions, JSON-LD and feeds, and the
corrections page of each language, in the static bundle too."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from samizdat.mirrors import bundle
from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.logins import log_in
from tests.publishing.helpers import (
    SITE,
    page_html,
    parse_html,
    path_of,
    resolve,
    same_as_full_build,
    text_of,
)

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
ANCHOR = re.compile(r"^note-[0-9a-f]{8}$")
MISSTATED = "An earlier version misstated the length of the sentence: it is eight years, not six."


def note(text: str, day: date, kind: str = "correction") -> tuple[str, Any]:
    return ("note", {"kind": kind, "date": day, "text": text})


def correct(story: ArticlePage, *notes: tuple[str, Any]) -> ArticlePage:
    """What an editor does: add notes to the published story and publish it again."""
    story = ArticlePage.objects.get(pk=story.pk)
    for item in notes:
        story.notes.append(item)
    story.save_revision().publish()
    return ArticlePage.objects.get(pk=story.pk)


def notes_on(html: str) -> list[dict[str, str]]:
    aside = parse_html(html).find(".//aside[@id='notes']")
    assert aside is not None
    found = []
    for item in aside.iter("li"):
        time = item.find(".//time")
        assert time is not None
        found.append(
            {
                "id": item.get("id") or "",
                "text": text_of(item),
                "datetime": time.get("datetime") or "",
            }
        )
    return found


def listed(html: str, page_path: str) -> list[tuple[str, str]]:
    """The corrections page's entries: (story path with anchor, note text)."""
    listing = parse_html(html).find(".//ol[@class='corrections-list']")
    assert listing is not None
    found = []
    for item in listing.iter("li"):
        link = item.find(".//h2/a")
        if link is None:
            continue
        href = link.get("href") or ""
        target = resolve(page_path, href) + "#" + href.split("#")[1]
        found.append((target, text_of(item.findall("p")[-1])))
    return found


def test_a_correction_is_shown_dated_and_marked_on_the_story(
    client: Client, newsroom: dict[str, Any]
) -> None:
    today = timezone.localdate()
    story = correct(
        newsroom["lead"],
        note(MISSTATED, today),
        note("The court has set the next hearing for 14 January.", today, "update"),
    )
    page = path_of(story)
    html = page_html(client, page)
    notes = notes_on(html)
    # Newest first: of one day, the last added first.
    assert [item["text"].split(",")[0] for item in notes] == ["Update", "Correction"]
    assert MISSTATED in notes[1]["text"] and all(ANCHOR.match(item["id"]) for item in notes)
    assert notes[1]["datetime"] == today.isoformat()
    assert '<a href="#notes">Corrections and updates</a>' in html, "marked at the top too"
    root = parse_html(html)
    [everything] = [a for a in root.iter("a") if text_of(a) == "All corrections and updates"]
    assert resolve(page, everything.get("href") or "") == "/en/corrections/"
    # The notes are page content: the revision that was published carries them.
    assert story.live_revision is not None
    content = story.live_revision.content
    stored = (
        content["notes"] if isinstance(content["notes"], list) else json.loads(content["notes"])
    )
    assert stored[0]["value"]["text"] == MISSTATED
    first = story.revisions.order_by("created_at", "pk").first()
    assert first is not None and not json.loads(first.content.get("notes") or "[]")


def test_json_ld_carries_each_correction(client: Client, newsroom: dict[str, Any]) -> None:
    day = timezone.localdate() - timedelta(days=1)
    story = correct(newsroom["lead"], note(MISSTATED, day))
    [block] = JSON_LD.findall(page_html(client, path_of(story)))
    data = json.loads(block)
    assert data["@type"] == "NewsArticle"
    assert data["correction"] == [
        {"@type": "CorrectionComment", "text": MISSTATED, "datePublished": day.isoformat()}
    ]


def test_feed_entry_carries_the_correction_and_an_updated_date(
    client: Client, newsroom: dict[str, Any]
) -> None:
    before = timezone.now().replace(microsecond=0)
    story = correct(newsroom["lead"], note(MISSTATED, timezone.localdate()))
    for kind in ("rss", "atom"):
        feed = feedparser.parse(client.get(f"/en/feed/{kind}/").content)
        [entry] = [entry for entry in feed.entries if entry.link.endswith(path_of(story))]
        assert MISSTATED in entry.content[0].value
        if kind == "atom":
            updated = datetime.fromisoformat(entry.updated)
            assert updated >= before, "the entry says it changed"


def test_the_corrections_page_lists_them_newest_first_and_paginates(
    client: Client, newsroom: dict[str, Any], settings: Settings
) -> None:
    settings.ARTICLES_PER_PAGE = 2
    today = timezone.localdate()
    other = factories.ArticlePageFactory(parent=newsroom["culture"], title="Theatre reopens")
    lead = correct(newsroom["lead"], note("Oldest note.", today - timedelta(days=4)))
    other = correct(other, note("Second note.", today - timedelta(days=3)))
    lead = correct(lead, note("Third note.", today - timedelta(days=2), "clarification"))
    other = correct(other, note("Fourth note.", today - timedelta(days=1)))
    lead = correct(lead, note("Newest note.", today))

    page = page_html(client, "/en/corrections/")
    entries = listed(page, "/en/corrections/")
    assert [text for _target, text in entries] == ["Newest note.", "Fourth note.", "Third note."]
    lead_anchors = {
        item["text"].split(": ", 1)[1]: item["id"]
        for item in notes_on(page_html(client, path_of(lead)))
    }
    assert entries[0][0] == f"{path_of(lead)}#{lead_anchors['Newest note.']}"
    assert "Clarification" in page
    archive = listed(page_html(client, "/en/corrections/page/1/"), "/en/corrections/page/1/")
    assert [text for _target, text in archive] == ["Second note.", "Oldest note."]
    assert client.get("/en/corrections/page/2/").status_code == 404
    assert client.get("/en/corrections/page/01/").status_code == 404

    feed = feedparser.parse(client.get("/en/corrections/feed/atom/").content)
    assert [entry.title for entry in feed.entries][:2] == [
        "Correction: Court opens trial of reporter",
        "Correction: Theatre reopens",
    ]
    assert feed.entries[0].link == f"{SITE}{entries[0][0]}"
    rss = feedparser.parse(client.get("/en/corrections/feed/rss/").content)
    assert len(rss.entries) == 5


def test_the_russian_corrections_page_lists_russian_stories(
    client: Client, newsroom: dict[str, Any]
) -> None:
    section = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    story = factories.ArticlePageFactory(parent=section, title="Суд над журналистом", slug="sud")
    correct(story, note("В первой версии был неверно указан срок.", timezone.localdate()))
    correct(newsroom["lead"], note(MISSTATED, timezone.localdate()))
    html = page_html(client, "/ru/corrections/")
    assert "<h1>Исправления и обновления</h1>" in html
    assert [text for _t, text in listed(html, "/ru/corrections/")] == [
        "В первой версии был неверно указан срок."
    ]
    story_html = page_html(client, "/ru/novosti/sud/")
    assert "Исправление, <time" in story_html
    assert MISSTATED not in page_html(client, "/ru/corrections/")


def test_an_empty_corrections_page_says_so(client: Client, newsroom: dict[str, Any]) -> None:
    assert "No corrections yet." in page_html(client, "/en/corrections/")


def test_a_correction_dated_in_the_future_is_refused(
    client: Client, newsroom: dict[str, Any]
) -> None:
    story = newsroom["lead"]
    revisions = story.revisions.count()
    editor = User.objects.create_user("editor", "editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    log_in(client, editor)
    form = nested_form_data(
        {
            "title": story.title,
            "slug": story.slug,
            "standfirst": story.standfirst,
            "body": {"count": "0"},
            "live_updates": {"count": "0"},
            "article_authors": inline_formset(
                [
                    {"id": str(link.pk), "author": str(link.author_id)}
                    for link in story.article_authors.all()
                ],
                initial=story.article_authors.count(),
                min=1,
            ),
            "tags": "courts",
            "notes": {
                "count": "1",
                "0": {
                    "type": "note",
                    "deleted": "",
                    "order": "0",
                    "id": "",
                    "value": {"kind": "correction", "date": "2999-01-01", "text": MISSTATED},
                },
            },
            "action-publish": "publish",
        }
    )
    response = client.post(f"/admin/pages/{story.pk}/edit/", form)
    assert response.status_code == 200
    assert "A note cannot be dated in the future." in response.content.decode()
    assert story.revisions.count() == revisions
    assert not ArticlePage.objects.get(pk=story.pk).has_notes


def test_a_correction_reaches_the_bundle_and_equals_a_full_build(
    newsroom: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    settings.ARTICLES_PER_PAGE = 2
    settings.BUNDLE_DIR = tmp_path / "bundle"
    root = settings.BUNDLE_DIR
    bundle.build_bundle(root)
    assert "No corrections yet." in (root / "en/corrections/index.html").read_text()
    story = newsroom["lead"]
    for n in range(4):
        story = correct(story, note(f"Note number {n}.", timezone.localdate()))
        paths = story.touched_paths()
        assert paths is not None and "/en/corrections/" in paths
        bundle.rebake(paths, root=root)
    page = (root / "en/corrections/index.html").read_text()
    assert "Note number 3." in page and "Note number 0." not in page
    assert "Note number 0." in (root / "en/corrections/page/1/index.html").read_text()
    assert "Note number 3." in (root / "en/corrections/feed/rss/index.xml").read_text()
    assert "Note number 3." in (root / "en/news/court-opens-trial/index.html").read_text()
    same_as_full_build(root, tmp_path / "full")

    # The notes taken away again: the corrections page empties, its archive page goes.
    story = ArticlePage.objects.get(pk=story.pk)
    story.notes = []
    story.save_revision().publish()
    paths = ArticlePage.objects.get(pk=story.pk).touched_paths()
    assert paths is not None
    bundle.rebake(paths, root=root)
    assert not (root / "en/corrections/page/1").exists()
    same_as_full_build(root, tmp_path / "full-2")
