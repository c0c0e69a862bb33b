"""Live stories: timestamped updates, newest first, each at its own anchor, in JSON-LD and feeds."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from samizdat.mirrors import bundle
from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.logins import log_in
from tests.publishing.helpers import (
    SITE,
    page_html,
    parse_html,
    path_of,
    same_as_full_build,
    text_of,
)

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
ANCHOR = re.compile(r"^update-[0-9a-f]{8}$")


def update(text: str, time: datetime, headline: str = "", **more: Any) -> tuple[str, Any]:
    return ("update", {"time": time, "headline": headline, "text": RichText(text), **more})


def live_story(parent: Any, start: datetime, **fields: Any) -> ArticlePage:
    """A live story with three updates, entered out of order."""
    return factories.ArticlePageFactory(
        parent=parent,
        live_updates=[
            update("<p>Polls open across Tessel.</p>", start, "Polls open"),
            update("<p>Turnout at noon: 31 percent.</p>", start + timedelta(hours=4)),
            update(
                "<blockquote>We saw a bus at every gate.</blockquote>",
                start + timedelta(hours=2),
                "Observers report buses",
            ),
        ],
        **fields,
    )


def an_hour_ago(hours: int) -> datetime:
    """A time ``hours`` ago to the minute, as editors enter times."""
    return timezone.now().replace(second=0, microsecond=0) - timedelta(hours=hours)


def updates_on(html: str) -> list[dict[str, str]]:
    """Each update on the page as a reader sees it: anchor, permalink, time, words."""
    root = parse_html(html)
    found = []
    for item in root.iter("li"):
        if "live-update" not in (item.get("class") or ""):
            continue
        link = item.find(".//a[@class='permalink']")
        time = item.find(".//time")
        assert link is not None and time is not None
        found.append(
            {
                "id": item.get("id") or "",
                "href": link.get("href") or "",
                "datetime": time.get("datetime") or "",
                "text": text_of(item),
            }
        )
    return found


def json_ld(html: str) -> dict[str, Any]:
    [block] = JSON_LD.findall(html)
    data: dict[str, Any] = json.loads(block)
    return data


def test_updates_read_newest_first_each_with_its_own_address(
    client: Client, newsroom: dict[str, Any]
) -> None:
    start = an_hour_ago(6)
    story = live_story(newsroom["news"], start, title="Tessel votes", slug="tessel-votes")
    html = page_html(client, path_of(story))
    updates = updates_on(html)
    assert ["Turnout" in updates[0]["text"], "buses" in updates[1]["text"]] == [True, True]
    assert "Polls open" in updates[2]["text"]
    for item in updates:
        assert ANCHOR.match(item["id"]), item
        assert item["href"] == f"#{item['id']}"  # a visible permalink to the anchor
    times = [datetime.fromisoformat(item["datetime"]) for item in updates]
    assert times == sorted(times, reverse=True)
    assert times[0] == start + timedelta(hours=4)
    assert "<blockquote>We saw a bus at every gate.</blockquote>" in html
    assert 'src="../../../static/samizdat/live.js?v=' in html, "a live story offers a reload"


def test_a_russian_live_story_speaks_russian(client: Client, site_tree: Any) -> None:
    section = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    story = factories.ArticlePageFactory(
        parent=section,
        title="Выборы в Тесселе",
        slug="vybory",
        live_updates=[update("<p>Участки открылись.</p>", timezone.now(), "Начало")],
        live_coverage_ended=timezone.now(),
    )
    html = page_html(client, path_of(story))
    assert "Обновления в реальном времени" in html
    assert "Трансляция завершена" in html
    [item] = updates_on(html)
    assert "Участки открылись." in item["text"] and ANCHOR.match(item["id"])
    assert "live.js" not in html, "a finished live story asks for nothing more"


def test_anchors_survive_an_editor_adding_an_update_in_the_admin(
    client: Client, newsroom: dict[str, Any]
) -> None:
    start = an_hour_ago(6)
    story = live_story(newsroom["news"], start, slug="live", authors=[newsroom["anna"]])
    before = {item["id"]: item["text"] for item in updates_on(page_html(client, path_of(story)))}

    editor = User.objects.create_user("editor", "editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    log_in(client, editor)
    edit = f"/admin/pages/{story.pk}/edit/"
    assert client.get(edit).status_code == 200
    story.refresh_from_db()
    # The editor drags the newest update to the top and adds one without a time above it.
    existing = list(story.live_updates)
    ordered = [existing[1], existing[0], existing[2]]
    posted = [("update", "<p>Polls close.</p>", "", "", None)] + [
        (
            "update",
            str(child.value["text"]),
            timezone.localtime(child.value["time"]).isoformat(),
            child.value["headline"],
            child.id,
        )
        for child in ordered
    ]
    response = client.post(edit, admin_form(story, newsroom, posted))
    assert response.status_code == 302, response.content.decode()[-3000:]

    client.logout()
    after = updates_on(page_html(client, path_of(story)))
    assert "Polls close." in after[0]["text"], "the new update, timed now, comes first"
    assert abs(datetime.fromisoformat(after[0]["datetime"]) - timezone.now()) < timedelta(minutes=2)
    assert after[0]["id"] not in before
    assert {item["id"]: item["text"] for item in after[1:]} == before


def admin_form(story: ArticlePage, newsroom: dict[str, Any], updates: list[Any]) -> dict[str, Any]:
    """The article's edit form as the admin posts it, with ``updates`` as (type, text, time,
    headline, block id) and the publish button pressed."""
    data = nested_form_data(
        {
            "title": story.title,
            "slug": story.slug,
            "standfirst": story.standfirst,
            "body": {"count": "0"},
            "article_authors": inline_formset(
                [
                    {"id": str(link.pk), "author": str(link.author_id)}
                    for link in story.article_authors.all()
                ],
                initial=story.article_authors.count(),
                min=1,
            ),
            "tags": "",
            "notes": {"count": "0"},
            "live_coverage_ended": "",
            "action-publish": "publish",
        }
    )
    data["live_updates-count"] = str(len(updates))
    for index, (kind, text, time, headline, block_id) in enumerate(updates):
        prefix = f"live_updates-{index}"
        data.update(
            {
                f"{prefix}-type": kind,
                f"{prefix}-deleted": "",
                f"{prefix}-order": str(index),
                f"{prefix}-id": block_id or "",
                f"{prefix}-value-time": time[:16].replace("T", " ") if time else "",
                f"{prefix}-value-headline": headline,
                f"{prefix}-value-text": rich_text(text),
                f"{prefix}-value-image": "",
                f"{prefix}-value-caption": "",
            }
        )
    return data


@pytest.mark.parametrize(
    ("text", "time", "error"),
    [
        ("", "", "An update needs some text."),
        ("<p>Too early.</p>", "2999-01-01 10:00", "An update cannot be dated in the future."),
    ],
)
def test_an_update_without_text_or_from_the_future_is_refused(
    client: Client, newsroom: dict[str, Any], text: str, time: str, error: str
) -> None:
    story = live_story(
        newsroom["news"], an_hour_ago(6), slug="live-bad", authors=[newsroom["anna"]]
    )
    revisions = story.revisions.count()
    editor = User.objects.create_user("editor", "editor@example.org", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    log_in(client, editor)
    response = client.post(
        f"/admin/pages/{story.pk}/edit/",
        admin_form(story, newsroom, [("update", text, time, "", None)]),
    )
    assert response.status_code == 200  # the form again, with the reason
    assert error in response.content.decode()
    assert story.revisions.count() == revisions, "nothing half-written"
    story.refresh_from_db()
    assert len(story.live_updates) == 3


def test_json_ld_is_a_live_blog_with_each_update(client: Client, newsroom: dict[str, Any]) -> None:
    start = an_hour_ago(6)
    story = live_story(newsroom["news"], start, title="Tessel votes", slug="tessel-votes")
    page = path_of(story)
    data = json_ld(page_html(client, page))
    assert data["@type"] == "LiveBlogPosting"
    assert datetime.fromisoformat(data["coverageStartTime"]) == start
    assert "coverageEndTime" not in data, "still live"
    updates = data["liveBlogUpdate"]
    assert [item["@type"] for item in updates] == ["BlogPosting"] * 3
    assert [item.get("headline") for item in updates] == [
        None,  # an update without a headline does not repeat the story's
        "Observers report buses",
        "Polls open",
    ]
    anchors = [item["id"] for item in updates_on(page_html(client, page))]
    assert [item["url"] for item in updates] == [f"{SITE}{page}#{anchor}" for anchor in anchors]
    assert datetime.fromisoformat(updates[0]["datePublished"]) == start + timedelta(hours=4)

    ended = timezone.now()
    story.live_coverage_ended = ended
    story.save_revision().publish()
    assert datetime.fromisoformat(json_ld(page_html(client, page))["coverageEndTime"]) == ended


def test_feed_entries_carry_the_updates(client: Client, newsroom: dict[str, Any]) -> None:
    story = live_story(newsroom["news"], an_hour_ago(6), slug="live-feed")
    anchors = [item["id"] for item in updates_on(page_html(client, path_of(story)))]
    for kind in ("rss", "atom"):
        feed = feedparser.parse(client.get(f"/en/news/feed/{kind}/").content)
        [entry] = [entry for entry in feed.entries if entry.link.endswith("/live-feed/")]
        content = entry.content[0].value
        assert "Turnout at noon: 31 percent." in content and "Polls open across Tessel." in content
        assert f'href="{SITE}/en/news/live-feed/#{anchors[0]}"' in content
        assert "live.js" not in content, "feed readers get no script"


def test_a_new_update_rebakes_the_story_and_its_listings_only(
    client: Client, newsroom: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    settings.ARTICLES_PER_PAGE = 2
    settings.BUNDLE_DIR = root = tmp_path / "bundle"
    story = live_story(
        newsroom["culture"], an_hour_ago(30), slug="live-bundle", authors=[newsroom["anna"]]
    )
    later = [
        factories.ArticlePageFactory(parent=newsroom["news"], slug=f"later-{n}") for n in range(3)
    ]
    bundle.build_bundle(root)

    story = ArticlePage.objects.get(pk=story.pk)
    story.live_updates.append(
        (
            "update",
            {"time": timezone.now(), "headline": "", "text": RichText("<p>Count begins.</p>")},
        )
    )
    story.save_revision().publish()
    paths = ArticlePage.objects.get(pk=story.pk).touched_paths()
    assert paths is not None, "an update is no full build"
    assert path_of(story) in paths and "/en/culture/" in paths and "/en/" in paths
    assert not {path_of(page) for page in later} & set(paths), "their Read more is as it was"
    report = bundle.rebake(paths, root=root)
    assert report.pages <= 20, report.pages
    assert "Count begins." in (root / "en/culture/live-bundle/index.html").read_text()
    assert "Count begins." in (root / "en/culture/feed/atom/index.xml").read_text()

    # A new headline changes the story's card: then "Read more" of later stories follows.
    story = ArticlePage.objects.get(pk=story.pk)
    story.title = "Tessel votes: the count"
    story.save_revision().publish()
    paths = ArticlePage.objects.get(pk=story.pk).touched_paths()
    assert paths is not None and {path_of(page) for page in later} <= set(paths)
    bundle.rebake(paths, root=root)
    same_as_full_build(root, tmp_path / "full")
