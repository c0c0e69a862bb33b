"""RSS and Atom feeds, read the way a feed reader reads them (through feedparser)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import feedparser
import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.rich_text import RichText

from tests import factories
from tests.publishing.helpers import (
    SITE,
    draft_article,
    get_ok,
    media_story,
    resolve,
    stored_media,
)
from tests.publishing.media_files import demo_mp3, demo_webm

pytestmark = pytest.mark.django_db

IMG_SRC = re.compile(r'<img [^>]*src="([^"]+)"')
CONTENT_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


@pytest.fixture
def desk(newsroom: dict[str, Any]) -> dict[str, Any]:
    """The newsroom plus older stories, a Russian story and an unpublished draft."""
    now = timezone.now()
    body = [
        ("paragraph", RichText("<p>The vote was close.</p>")),
        ("image", {"image": factories.ImageFactory(), "caption": "The chamber", "credit": "AP"}),
    ]
    older = factories.ArticlePageFactory(
        parent=newsroom["news"],
        title="Parliament passes media law",
        slug="media-law",
        lead_image=newsroom["image"],
        body=body,
        authors=[newsroom["anna"]],
        tags=["press-freedom"],
        published_at=now - timedelta(days=1),
    )
    oldest = factories.ArticlePageFactory(
        parent=newsroom["culture"],
        title="Theatre reopens",
        slug="theatre-reopens",
        authors=[newsroom["pavel"]],
        tags=["theatre"],
        published_at=now - timedelta(days=2),
    )
    ru_news = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    russian = factories.ArticlePageFactory(
        parent=ru_news, title="Суд над журналистом", slug="sud", tags=["courts"]
    )
    draft = draft_article(newsroom["news"], title="Unpublished scoop", slug="scoop")
    return {**newsroom, "older": older, "oldest": oldest, "russian": russian, "draft": draft}  # fmt: skip


def fetch_feed(client: Client, path: str, kind: str) -> Any:
    response = get_ok(client, path)
    content_type = response["Content-Type"]
    assert content_type.split(";")[0] == CONTENT_TYPES[kind]
    assert "charset=utf-8" in content_type
    feed = feedparser.parse(response.content, response_headers={"content-type": content_type})
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version.startswith(kind), feed.version
    return feed


def titles(feed: Any) -> list[str]:
    return [entry.title for entry in feed.entries]


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_site_feed_lists_live_english_stories_newest_first(
    client: Client, desk: dict[str, Any], kind: str
) -> None:
    feed = fetch_feed(client, f"/en/feed/{kind}/", kind)
    assert titles(feed) == [
        "Court opens trial of reporter",
        "Parliament passes media law",
        "Theatre reopens",
    ]
    published = [entry.published_parsed for entry in feed.entries]
    assert published == sorted(published, reverse=True)


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_site_feed_links_are_absolute(client: Client, desk: dict[str, Any], kind: str) -> None:
    feed = fetch_feed(client, f"/en/feed/{kind}/", kind)
    assert feed.feed.link == f"{SITE}/en/"
    assert [entry.link for entry in feed.entries] == [
        f"{SITE}/en/news/court-opens-trial/",
        f"{SITE}/en/news/media-law/",
        f"{SITE}/en/culture/theatre-reopens/",
    ]
    assert feed.entries[0].id == f"{SITE}/en/news/court-opens-trial/"
    sources = IMG_SRC.findall(feed.entries[1].content[0].value)
    assert len(sources) == 2  # the lead photo and the photo inside the body
    assert all(src.startswith(f"{SITE}/media/images/") and src.endswith(".webp") for src in sources)


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_site_feed_carries_the_full_text(client: Client, desk: dict[str, Any], kind: str) -> None:
    entry = fetch_feed(client, f"/en/feed/{kind}/", kind).entries[0]
    html = entry.content[0].value
    assert "The standfirst of story" in html
    assert "First paragraph with a <b>bold</b> fact." in html
    assert "What comes next" in html
    assert "We will keep reporting." in html
    assert "Second paragraph." in html
    assert entry.summary.startswith("The standfirst of story")


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_site_feed_names_authors_and_tags(client: Client, desk: dict[str, Any], kind: str) -> None:
    lead, older = fetch_feed(client, f"/en/feed/{kind}/", kind).entries[:2]
    assert "Anna Berg" in lead.author and "Pavel Drozd" in lead.author
    assert older.author == "Anna Berg"
    assert sorted(tag.term for tag in lead.tags) == ["courts", "press-freedom"]
    assert [tag.term for tag in older.tags] == ["press-freedom"]


def test_english_feed_leaves_out_russian_stories_and_drafts(
    client: Client, desk: dict[str, Any]
) -> None:
    english = titles(fetch_feed(client, "/en/feed/rss/", "rss"))
    assert "Суд над журналистом" not in english
    assert "Unpublished scoop" not in english
    russian = fetch_feed(client, "/ru/feed/atom/", "atom")
    assert titles(russian) == ["Суд над журналистом"]
    assert russian.entries[0].link == f"{SITE}/ru/novosti/sud/"


def test_section_feed_holds_only_that_section(client: Client, desk: dict[str, Any]) -> None:
    feed = fetch_feed(client, "/en/news/feed/rss/", "rss")
    assert titles(feed) == ["Court opens trial of reporter", "Parliament passes media law"]
    assert feed.feed.link == f"{SITE}/en/news/"
    assert "We will keep reporting." in feed.entries[0].content[0].value


def test_author_feed_holds_only_their_stories(client: Client, desk: dict[str, Any]) -> None:
    feed = fetch_feed(client, "/en/authors/pavel-drozd/feed/atom/", "atom")
    assert titles(feed) == ["Court opens trial of reporter", "Theatre reopens"]
    assert feed.feed.link == f"{SITE}/en/authors/pavel-drozd/"
    assert all(entry.link.startswith(f"{SITE}/en/") for entry in feed.entries)


def test_tag_feed_holds_only_tagged_stories(client: Client, desk: dict[str, Any]) -> None:
    feed = fetch_feed(client, "/en/tags/press-freedom/feed/rss/", "rss")
    assert titles(feed) == ["Court opens trial of reporter", "Parliament passes media law"]
    assert feed.feed.link == f"{SITE}/en/tags/press-freedom/"
    # "courts" is also on the Russian story: the English tag feed keeps to English.
    assert titles(fetch_feed(client, "/en/tags/courts/feed/rss/", "rss")) == [
        "Court opens trial of reporter"
    ]


def test_unknown_tag_feed_is_not_found(client: Client, desk: dict[str, Any]) -> None:
    assert client.get("/en/tags/no-such-tag/feed/rss/").status_code == 404
    assert client.get("/en/tags/no-such-tag/feed/atom/").status_code == 404


ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


@pytest.fixture
def programme(newsroom: dict[str, Any]) -> dict[str, Any]:
    """Two audio stories and a video story in News, a story without media in Culture."""
    now = timezone.now()
    first = stored_media("audio", "first.mp3", demo_mp3())
    second = stored_media("audio", "second.mp3", demo_mp3())
    film = stored_media("video", "film.webm", demo_webm(), duration=12)
    stories = {
        "older_episode": media_story(
            newsroom["news"], "audio", first, title="Episode one", slug="episode-one",
            published_at=now - timedelta(days=2),
        ),
        "episode": media_story(
            newsroom["news"], "audio", second, title="Episode two", slug="episode-two",
            published_at=now - timedelta(days=1),
        ),
        "film": media_story(
            newsroom["news"], "video", film, title="The film", slug="the-film",
            published_at=now - timedelta(hours=1),
        ),
    }  # fmt: skip
    return {**newsroom, **stories, "first": first, "second": second, "video": film}


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_stories_with_audio_or_video_carry_an_enclosure(
    client: Client, programme: dict[str, Any], kind: str
) -> None:
    feed = fetch_feed(client, f"/en/news/feed/{kind}/", kind)
    enclosures = {
        entry.title: [(e.href, e.type, e.length) for e in entry.enclosures]
        for entry in feed.entries
    }
    assert enclosures["The film"] == [
        (f"{SITE}{programme['video'].file.url}", "video/webm", str(len(demo_webm())))
    ]
    assert enclosures["Episode two"] == [
        (f"{SITE}{programme['second'].file.url}", "audio/mpeg", str(len(demo_mp3())))
    ]
    assert enclosures["Court opens trial of reporter"] == []


def test_a_section_with_audio_has_a_podcast_that_podcast_apps_accept(
    client: Client, programme: dict[str, Any]
) -> None:
    response = get_ok(client, "/en/news/feed/podcast/")
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)  # strict XML: a podcast app's parser
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for tag in ("title", "link", "description", "language"):
        assert (channel.findtext(tag) or "").strip(), tag
    assert channel.findtext("language") == "en"
    assert channel.findtext(f"{ITUNES}author") == "The Lantern"
    assert channel.findtext(f"{ITUNES}explicit") == "false"
    assert (channel.findtext(f"{ITUNES}summary") or "").strip()
    category = channel.find(f"{ITUNES}category")
    assert category is not None and category.get("text") == "News"
    image = channel.find(f"{ITUNES}image")
    assert image is not None
    cover = image.get("href", "")
    assert cover.startswith(f"{SITE}/static/") and cover.endswith(".png")
    cover_file = finders.find(cover.removeprefix(f"{SITE}/static/"))
    assert isinstance(cover_file, str)
    with PILImage.open(cover_file) as picture:
        assert picture.width == picture.height >= 1400

    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == ["Episode two", "Episode one"]
    for item, media in zip(items, (programme["second"], programme["first"]), strict=True):
        enclosure = item.find("enclosure")
        assert enclosure is not None
        assert enclosure.get("url") == f"{SITE}{media.file.url}"
        assert enclosure.get("type") == "audio/mpeg"
        assert enclosure.get("length") == str(len(demo_mp3()))
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false" and guid.text
        assert item.findtext(f"{ITUNES}duration") == "32"
        assert (item.findtext(f"{ITUNES}summary") or "").startswith("The standfirst")
        assert item.findtext("pubDate")
    guids = [item.findtext("guid") for item in items]
    assert len(set(guids)) == 2
    again = ElementTree.fromstring(get_ok(client, "/en/news/feed/podcast/").content)
    assert [item.findtext("guid") for item in again.iter("item")] == guids  # stable


def test_a_section_with_audio_links_its_podcast(client: Client, programme: dict[str, Any]) -> None:
    news = get_ok(client, "/en/news/").content.decode()
    links = re.findall(r'<a href="([^"]+)">Podcast</a>', news)
    assert [resolve("/en/news/", href) for href in links] == ["/en/news/feed/podcast/"]
    assert "feed/podcast/" not in get_ok(client, "/en/culture/").content.decode()


def test_a_section_without_audio_has_no_podcast(client: Client, programme: dict[str, Any]) -> None:
    assert client.get("/en/culture/feed/podcast/").status_code == 404
    assert "/feed/podcast/" not in programme["culture"].get_cached_paths()
    assert "/feed/podcast/" in programme["news"].get_cached_paths()
    programme["episode"].unpublish()
    programme["older_episode"].unpublish()
    assert client.get("/en/news/feed/podcast/").status_code == 404
