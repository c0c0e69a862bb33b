"""RSS 2.0 and Atom feeds with the full text of each article (and its audio or video as an
enclosure), and the podcast feeds of sections (RSS 2.0 with Apple's iTunes tags)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import feedgenerator, translation
from django.utils.html import escape

from samizdat.core import build_memo, storage
from samizdat.core.paths import absolute, public_path, roots_for
from samizdat.publishing.audio_video import mime_type

if TYPE_CHECKING:
    from wagtail.models import PageQuerySet

FEED_LENGTH = 30


# What an empty feed says it was last updated: a fixed date, not the time of rendering, so
# that the same content is always the same bytes (the static bundle rewrites only changes).
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)


class StableDates:
    items: list[dict[str, Any]]

    def latest_post_date(self) -> datetime:
        dates = [
            item[name]
            for item in self.items
            for name in ("updateddate", "pubdate")
            if item.get(name) is not None
        ]
        return max(dates) if dates else EMPTY_FEED_UPDATED


class FullTextRss(StableDates, feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with the article's HTML in ``content:encoded``."""

    def rss_attributes(self) -> dict[str, str]:
        attrs = super().rss_attributes()
        attrs["xmlns:content"] = "http://purl.org/rss/1.0/modules/content/"
        return attrs

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content"])


class FullTextAtom(StableDates, feedgenerator.Atom1Feed):
    """Atom with the article's HTML in ``<content type="html">``."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content"], {"type": "html"})


FEED_CLASSES: dict[str, type[feedgenerator.SyndicationFeed]] = {
    "rss": FullTextRss,
    "atom": FullTextAtom,
}


ITUNES_NAMESPACE = "http://www.itunes.com/dtds/podcast-1.0.dtd"
MEDIA_BLOCK_TYPES = ("audio", "video")


class PodcastRss(StableDates, feedgenerator.Rss201rev2Feed):
    """RSS 2.0 with the iTunes tags podcast apps read: the show's author, cover, category and
    explicitness, each episode's duration and summary."""

    def rss_attributes(self) -> dict[str, str]:
        attrs = super().rss_attributes()
        attrs["xmlns:itunes"] = ITUNES_NAMESPACE
        return attrs

    def add_root_elements(self, handler: Any) -> None:
        super().add_root_elements(handler)
        feed = self.feed
        handler.startElement("image", {})
        handler.addQuickElement("url", feed["cover"])
        handler.addQuickElement("title", feed["title"])
        handler.addQuickElement("link", feed["link"])
        handler.endElement("image")
        handler.addQuickElement("itunes:author", feed["show_author"])
        handler.addQuickElement("itunes:summary", feed["description"])
        handler.addQuickElement("itunes:type", "episodic")
        handler.addQuickElement("itunes:image", None, {"href": feed["cover"]})
        handler.addQuickElement("itunes:category", None, {"text": feed["category"]})
        handler.addQuickElement("itunes:explicit", feed["explicit"])

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item["duration"]:
            handler.addQuickElement("itunes:duration", str(round(item["duration"])))
        handler.addQuickElement("itunes:summary", item["description"])
        handler.addQuickElement("itunes:explicit", self.feed["explicit"])
        handler.addQuickElement("itunes:episodeType", "full")


def enclosure_for(media: Any) -> feedgenerator.Enclosure | None:
    """An audio or video file as an enclosure: its absolute address, size and type."""
    size = storage.known_size(media.file.name, media.file.storage)
    if size is None:
        return None  # missing from storage: announce nothing a podcast app cannot fetch
    return feedgenerator.Enclosure(absolute(media.file.url), str(size), mime_type(media.filename))


def media_enclosure(article: Any) -> feedgenerator.Enclosure | None:
    """The first audio or video file of an article's body, as an enclosure."""
    raw = article.body.raw_data
    if not any(block.get("type") in MEDIA_BLOCK_TYPES for block in raw):
        return None
    for item in article.body:
        if item.block_type in MEDIA_BLOCK_TYPES and item.value.get("media") is not None:
            return enclosure_for(item.value["media"])
    return None


def article_html(article: Any) -> str:
    """A story's full text as feeds carry it; a bundle build renders it once for all the
    feeds (RSS and Atom of its language, section, tags, authors) that list it."""

    def render() -> str:
        return render_to_string(
            "publishing/feed_item.html", {"page": article, "absolute_urls": True}, request=None
        )

    key = (
        "feed_item",
        article.pk,
        article.latest_revision_id,
        article.last_published_at,
        translation.get_language(),
    )
    return build_memo.remembered(key, render)


def build(
    kind: str, *, title: str, path: str, items: PageQuerySet, request: HttpRequest | None
) -> str:
    """Render a feed of the newest articles in ``items``; ``path`` is the listing it follows."""
    roots = roots_for(request)
    feed_class = FEED_CLASSES[kind]
    feed = feed_class(
        title=title,
        link=absolute(path),
        description=title,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        feed_url=absolute(f"{path}feed/{kind}/"),
        feed_guid=absolute(f"{path}feed/{kind}/"),
    )
    for entry in feed_entries(items, roots):
        feed.add_item(**entry)
    return feed.writeString("utf-8")


def _with_relations(items: PageQuerySet) -> PageQuerySet:
    from samizdat.publishing.models import ArticlePageTag  # the models import this module

    # Tags in the order they were given: the database may return them in any order, and a
    # rebuild must write the same bytes when nothing changed.
    tags = Prefetch("tagged_items", ArticlePageTag.objects.select_related("tag").order_by("pk"))
    return items.select_related("lead_image").prefetch_related("article_authors__author", tags)


def feed_entries(items: PageQuerySet, roots: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The entries of the newest ``FEED_LENGTH`` articles in ``items``, as ``add_item`` takes
    them. A story is an entry of the RSS and Atom feeds of its language, section, tags and
    authors: a bundle build (``build_memo``) reads each story's entry once for all of them."""
    if not build_memo.is_building():
        return [feed_entry(article, roots) for article in _with_relations(items)[:FEED_LENGTH]]
    pks = list(items.values_list("pk", flat=True)[:FEED_LENGTH])
    known: dict[int, dict[str, Any]] = build_memo.remembered(
        ("feed entries", translation.get_language()), dict
    )
    if missing := [pk for pk in pks if pk not in known]:
        for article in _with_relations(items.filter(pk__in=missing)):
            known[article.pk] = feed_entry(article, roots)
    return [known[pk] for pk in pks if pk in known]


def feed_entry(article: Any, roots: list[tuple[str, str]]) -> dict[str, Any]:
    link = absolute(public_path(article.url_path, roots) or "/")
    authors = [link.author.title for link in article.article_authors.all()]
    return {
        "title": article.title,
        "link": link,
        "description": article.standfirst,
        "content": article_html(article),
        "author_name": ", ".join(authors) or None,
        "pubdate": article.first_published_at,
        "updateddate": article.last_published_at,
        "unique_id": link,
        "unique_id_is_permalink": True,
        "categories": [item.tag.name for item in article.tagged_items.all()],
        "enclosures": [enclosure] if (enclosure := media_enclosure(article)) else None,
    }


def episode_guid(article: Any, media: Any) -> str:
    """A stable, never-reused episode id: the same story with the same file keeps it."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/pages/{article.pk}/{media.pk}").urn


def build_podcast(
    *,
    title: str,
    summary: str,
    path: str,
    episodes: list[tuple[Any, Any]],
    request: HttpRequest | None,
) -> str:
    """The podcast of a section: ``episodes`` are (article, audio block value) pairs."""
    roots = roots_for(request)
    feed = PodcastRss(
        title=title,
        link=absolute(path),
        description=summary,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        feed_url=absolute(f"{path}feed/podcast/"),
        author_name=settings.SITE_NAME,
        show_author=settings.SITE_NAME,
        cover=absolute(f"{settings.STATIC_URL}{settings.PODCAST_COVER}"),
        category=settings.PODCAST_CATEGORY,
        explicit="true" if settings.PODCAST_EXPLICIT else "false",
    )
    for article, audio in episodes:
        media = audio["media"]
        enclosure = enclosure_for(media)
        if enclosure is None:
            continue
        link = absolute(public_path(article.url_path, roots) or "/")
        feed.add_item(
            title=article.title,
            link=link,
            description=article.standfirst,
            pubdate=article.first_published_at,
            updateddate=article.last_published_at,
            unique_id=episode_guid(article, media),
            unique_id_is_permalink=False,
            enclosures=[enclosure],
            duration=media.duration,
        )
    return feed.writeString("utf-8")


def podcast_response(
    request: HttpRequest,
    *,
    title: str,
    summary: str,
    path: str,
    episodes: list[tuple[Any, Any]],
) -> HttpResponse:
    body = build_podcast(
        title=title, summary=summary, path=path, episodes=episodes, request=request
    )
    return HttpResponse(body, content_type="application/rss+xml; charset=utf-8")


def respond(
    kind: str, request: HttpRequest, *, title: str, path: str, items: PageQuerySet
) -> HttpResponse:
    body = build(kind, title=title, path=path, items=items, request=request)
    content_type = "application/rss+xml" if kind == "rss" else "application/atom+xml"
    return HttpResponse(body, content_type=f"{content_type}; charset=utf-8")


def respond_notes(
    kind: str, request: HttpRequest, *, title: str, path: str, notes: list[dict[str, Any]]
) -> HttpResponse:
    """A feed of corrections and updates (``models.corrections``), each linking to its note on
    the story; ``path`` is the corrections page."""
    feed = FEED_CLASSES[kind](
        title=title,
        link=absolute(path),
        description=title,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        feed_url=absolute(f"{path}feed/{kind}/"),
        feed_guid=absolute(f"{path}feed/{kind}/"),
    )
    for note in notes[:FEED_LENGTH]:
        link = absolute(note["story_path"]) + "#" + note["anchor"]
        dated = datetime.combine(note["date"], datetime.min.time(), tzinfo=UTC)
        feed.add_item(
            title=f"{note['kind_label']}: {note['story_title']}",
            link=link,
            description=note["text"],
            content=escape(note["text"]),
            pubdate=dated,
            unique_id=link,
            unique_id_is_permalink=True,
        )
    content_type = "application/rss+xml" if kind == "rss" else "application/atom+xml"
    return HttpResponse(feed.writeString("utf-8"), content_type=f"{content_type}; charset=utf-8")
