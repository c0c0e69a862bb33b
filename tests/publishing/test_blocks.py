"""The story blocks as a reader gets them, in both languages and without any script:
galleries and documents (in the feeds and the search too, and what the admin says to a gallery
without photos), audio and video (the browser's own player, nothing loaded before play,
subtitles, transcript, file facts)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

import feedparser
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents import get_document_model
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from samizdat.publishing.blocks import SubtitlesBlock
from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.logins import log_in
from tests.publishing.helpers import (
    media_story,
    page_html,
    parse_html,
    path_of,
    resolve,
    stored_media,
    stored_subtitles,
    text_of,
    translate,
)
from tests.publishing.media_files import WEBVTT, demo_mp3, demo_webm
from tests.publishing.test_admin import staff

pytestmark = pytest.mark.django_db

CAPTIONS = ("Stalls under the railway bridge.", "The fish hall, built in 1911.")


def gallery(images: list[Any], title: str = "Mornings at the market") -> tuple[str, Any]:
    return (
        "gallery",
        {
            "title": title,
            "images": [
                {
                    "image": image,
                    "caption": CAPTIONS[n],
                    "credit": "Photo: Irena Vask",
                    "alt": "Empty stalls at dawn" if n == 0 else "",
                }
                for n, image in enumerate(images)
            ],
        },
    )


def document_block(document: Any, title: str = "The court's order") -> tuple[str, Any]:
    return ("document", {"document": document, "title": title, "description": "One page."})


@pytest.fixture
def story(newsroom: dict[str, Any]) -> ArticlePage:
    images = [factories.ImageFactory(title="Stalls"), factories.ImageFactory(title="Fish hall")]
    return factories.ArticlePageFactory(
        parent=newsroom["news"],
        title="The river market's last summer",
        slug="river-market",
        body=[
            ("paragraph", RichText("<p>The market opens before dawn.</p>")),
            gallery(images),
            document_block(factories.pdf_document()),
        ],
        authors=[newsroom["anna"]],
    )


def test_a_gallery_shows_every_photo_with_caption_credit_and_alt_text(
    client: Client, story: ArticlePage
) -> None:
    html = page_html(client, "/en/news/river-market/")
    root = parse_html(html)
    section = root.find(".//section[@class='gallery']")
    assert section is not None and section.get("aria-label") == "Mornings at the market"
    figures = section.findall(".//ol[@class='gallery-items']/li/figure")
    assert [text_of(f.find("figcaption")) for f in figures] == [  # type: ignore[arg-type]
        f"{CAPTIONS[0]} Photo: Irena Vask",
        f"{CAPTIONS[1]} Photo: Irena Vask",
    ]
    images = [figure.find("img") for figure in figures]
    # The explicit alternative text, else the caption.
    assert [img.get("alt") for img in images] == ["Empty stalls at dawn", CAPTIONS[1]]  # type: ignore[union-attr]
    for img in images:
        assert img is not None
        assert img.get("loading") == "lazy" and img.get("width") and img.get("height")
        assert img.get("sizes") == "(min-width: 36rem) 20rem, 100vw"
        sources = [part.split()[0] for part in img.get("srcset", "").split(", ")]
        for src in [img.get("src", ""), *sources]:
            assert resolve("/en/news/river-market/", src).startswith("/media/images/")
            rel = resolve("/en/news/river-market/", src).removeprefix("/media/")
            assert (Path(settings.MEDIA_ROOT) / rel).is_file()
    # Readable without JavaScript: no script at all in the story's body.
    body = root.find(".//div[@class='article-body']")
    assert body is not None and body.find(".//script") is None


def test_a_document_shows_its_title_type_size_and_a_relative_download_link(
    client: Client, story: ArticlePage
) -> None:
    story_path = "/en/news/river-market/"
    root = parse_html(page_html(client, story_path))
    aside = root.find(".//aside[@class='document']")
    assert aside is not None
    assert text_of(aside.find("p[@class='document-title']")) == "The court's order"  # type: ignore[arg-type]
    assert "One page." in text_of(aside)
    meta = text_of(aside.find(".//small[@class='document-meta']"))  # type: ignore[arg-type]
    assert re.fullmatch(r"PDF, \d+(\.\d)?\xa0(bytes|KB)", meta), meta
    link = aside.find(".//a")
    assert link is not None and link.get("download") is not None
    assert link.get("type") == "application/pdf" and text_of(link) == "Download"
    href = link.get("href", "")
    assert not href.startswith("/")
    assert re.fullmatch(r"/media/documents/court-order(_\w+)?\.pdf", resolve(story_path, href))
    response = client.get(resolve(story_path, href))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_both_blocks_read_in_russian_with_localised_size(
    client: Client, story: ArticlePage
) -> None:
    big = factories.pdf_document(title="Приговор", name="Приговор.pdf")
    path = big.file.path
    with open(path, "ab") as handle:  # a large ruling: 1.2 MB
        handle.write(b"%" + b"0" * 1_258_000 + b"\n")
    big.file_size = None
    big.save()
    images = [factories.ImageFactory(title="Прилавки"), factories.ImageFactory(title="Павильон")]
    translate(
        story,
        "ru",
        slug="rynok",
        title="Последнее лето речного рынка",
        body=[gallery(images, title=""), document_block(big, title="Приговор суда")],
    )
    root = parse_html(page_html(client, "/ru/news/rynok/"))
    section = root.find(".//section[@class='gallery']")
    assert section is not None and section.get("aria-label") == "Фотогалерея"
    assert len(section.findall(".//figure")) == 2
    aside = root.find(".//aside[@class='document']")
    assert aside is not None and aside.get("aria-label") == "Документ"
    assert text_of(aside.find(".//a")) == "Скачать"  # type: ignore[arg-type]
    assert text_of(aside.find(".//small")) == "PDF, 1,2\xa0МБ"  # type: ignore[arg-type]
    href = aside.find(".//a").get("href", "")  # type: ignore[union-attr]
    assert "%D0%9F" in href  # percent-encoded, and it leads to the file
    assert client.get(resolve("/ru/news/rynok/", href)).status_code == 200


def test_feeds_carry_both_blocks_with_absolute_links(client: Client, story: ArticlePage) -> None:
    for kind in ("rss", "atom"):
        parsed = feedparser.parse(client.get(f"/en/feed/{kind}/").content)
        entry = next(e for e in parsed.entries if e.title == "The river market's last summer")
        content = entry.content[0].value
        assert "Mornings at the market" in content and CAPTIONS[1] in content
        assert re.search(
            r'href="http://testserver/media/documents/court-order(_\w+)?\.pdf"', content
        )
        assert "The court&#x27;s order" in content or "The court's order" in content
        assert re.search(r'<img [^>]*src="http://testserver/media/images/[^"]+\.webp"', content)


def test_captions_and_document_titles_are_searched_and_read(
    client: Client, story: ArticlePage
) -> None:
    for query in ("fish hall", "court's order"):
        html = page_html(client, f"/en/search/?{urlencode({'q': query})}")
        assert "The river market&#x27;s last summer" in html, query
    words_before = story.reading_minutes
    story.body = [
        *((child.block_type, child.value) for child in story.body),
        gallery([factories.ImageFactory(), factories.ImageFactory()], title="word " * 400),
    ]
    story.save()
    assert story.reading_minutes > words_before


def test_a_gallery_without_photos_is_a_form_error_in_the_admin(
    client: Client, newsroom: dict[str, Any]
) -> None:
    log_in(client, staff("editor", "Editors"))
    url = f"/admin/pages/add/publishing/articlepage/{newsroom['news'].pk}/"

    def form(photos: list[Any]) -> dict[str, Any]:
        images = {
            "count": str(len(photos)),
            **{
                str(n): {
                    "deleted": "",
                    "order": str(n),
                    "id": "",
                    "value": {"image": str(photo.pk), "caption": "", "credit": "", "alt": ""},
                }
                for n, photo in enumerate(photos)
            },
        }
        return nested_form_data(
            {
                "title": "Market in pictures",
                "slug": "market-in-pictures",
                "standfirst": "Its last summer.",
                "body": streamfield([("gallery", {"title": "", "images": images})]),
                "article_authors": inline_formset([{"author": str(newsroom["anna"].pk)}], min=1),
                "tags": "",
                "action-publish": "publish",
            }
        )

    response = client.post(url, form([]))
    assert response.status_code == 200  # the form again, with the reason
    assert "The minimum number of items is 2" in response.content.decode()
    assert not ArticlePage.objects.filter(slug="market-in-pictures").exists()
    response = client.post(url, form([newsroom["image"], factories.ImageFactory()]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ArticlePage.objects.get(slug="market-in-pictures").live


RUSSIAN_VTT = "WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nФонари зажигают в сумерках.\n"


@pytest.fixture
def stories(newsroom: dict[str, Any]) -> dict[str, Any]:
    audio = stored_media("audio", "episode.mp3", demo_mp3())
    video = stored_media("video", "film.webm", demo_webm(), duration=12, width=320, height=180)
    english, russian = stored_subtitles("en", WEBVTT), stored_subtitles("ru", RUSSIAN_VTT)
    tracks = [
        {"file": english, "language": "en", "kind": "subtitles"},
        {"file": russian, "language": "ru", "kind": "captions"},
    ]
    episode = media_story(
        newsroom["news"],
        "audio",
        audio,
        title="Episode one",
        slug="episode-one",
        caption="The first episode",
        credit="The Lantern",
        transcript="Good evening.\n\nThe lanterns <b>are</b> lit.",
    )
    film = media_story(
        newsroom["culture"],
        "video",
        video,
        title="The film",
        slug="the-film",
        subtitles=tracks,
        poster_image=factories.ImageFactory(title="Poster"),
    )
    return {**newsroom, "episode": episode, "film": film, "audio": audio, "video": video}


def figure(html: str, kind: str) -> Element:
    root = parse_html(html)
    found = [el for el in root.iter("figure") if f"media-{kind}" in (el.get("class") or "")]
    assert len(found) == 1
    return found[0]


def test_audio_plays_in_the_browsers_own_player_and_loads_nothing_unasked(
    client: Client, stories: dict[str, Any]
) -> None:
    path = path_of(stories["episode"])
    html = page_html(client, path)
    block = figure(html, "audio")
    audio = block.find("audio")
    assert audio is not None
    assert audio.get("controls") is not None and audio.get("preload") == "none"
    source = audio.find("source")
    assert source is not None and source.get("type") == "audio/mpeg"
    assert resolve(path, source.get("src", "")) == stories["audio"].file.url
    assert "<script" not in html.split('<figure class="media', 1)[1].split("</figure>", 1)[0]
    facts = block.find(".//p[@class='media-facts']")
    assert facts is not None
    assert text_of(facts).startswith("MP3 audio · 0:32 · 125.2")
    download = facts.find("a")
    assert download is not None and download.get("download") is not None
    assert resolve(path, download.get("href", "")) == stories["audio"].file.url
    caption = block.find("figcaption")
    assert caption is not None and text_of(caption) == "The first episode The Lantern"


def test_the_transcript_is_below_the_player_folded_and_escaped(
    client: Client, stories: dict[str, Any]
) -> None:
    block = figure(page_html(client, path_of(stories["episode"])), "audio")
    details = block.find("details")
    assert details is not None and details.get("class") == "transcript"
    summary = details.find("summary")
    assert summary is not None and text_of(summary) == "Transcript"
    paragraphs = [text_of(p) for p in details.iter("p")]
    assert paragraphs == ["Good evening.", "The lanterns <b>are</b> lit."]


def test_video_has_a_poster_rendition_and_subtitles_in_the_pages_language_first(
    client: Client, stories: dict[str, Any]
) -> None:
    path = path_of(stories["film"])
    video = figure(page_html(client, path), "video").find("video")
    assert video is not None and video.get("preload") == "none"
    poster = resolve(path, video.get("poster", ""))
    assert poster.startswith("/media/images/") and poster.endswith(".webp")
    assert video.get("width") and video.get("height")
    tracks = video.findall("track")
    assert [(t.get("srclang"), t.get("kind"), t.get("label")) for t in tracks] == [
        ("en", "subtitles", "English"),
        ("ru", "captions", "Русский (captions)"),
    ]
    assert tracks[0].get("default") is not None and tracks[1].get("default") is None
    assert resolve(path, tracks[0].get("src", "")).endswith(".vtt")
    assert client.get(resolve(path, tracks[0].get("src", ""))).status_code == 200


def test_a_russian_reader_gets_russian_subtitles_first_and_russian_words(
    client: Client, stories: dict[str, Any]
) -> None:
    translated = translate(stories["film"], "ru", title="Фильм", slug="film")
    path = path_of(translated)
    block = figure(page_html(client, path), "video")
    tracks = block.findall(".//track")
    assert [t.get("srclang") for t in tracks] == ["ru", "en"]
    assert tracks[0].get("default") is not None
    assert tracks[0].get("label") == "Русский (скрытые субтитры)"
    facts = block.find(".//p[@class='media-facts']")
    assert facts is not None
    assert text_of(facts).startswith("WEBM видео · 0:12 · 169,6")
    assert text_of(facts).endswith("Скачать")


def test_the_search_finds_a_story_by_its_transcript(
    client: Client, stories: dict[str, Any]
) -> None:
    html = page_html(client, "/en/search/?q=lanterns")
    assert "Episode one" in html


def test_only_a_webvtt_file_can_be_chosen_as_subtitles(newsroom: dict[str, Any]) -> None:
    ruling = get_document_model()(title="Ruling")
    ruling.file = ContentFile(b"The ruling, as text.", name="ruling.txt")
    ruling.save()
    block = SubtitlesBlock()
    with pytest.raises(StructBlockValidationError) as refused:
        block.clean({"file": ruling, "language": "en", "kind": "subtitles"})
    assert "Choose a WebVTT file (.vtt)." in str(refused.value.block_errors["file"])
    vtt = stored_subtitles("en", WEBVTT)
    assert block.clean({"file": vtt, "language": "en", "kind": "subtitles"})["file"] == vtt
