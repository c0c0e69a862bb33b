"""Audio and video in a story, as a reader without JavaScript gets them, in both languages:
the browser's own player, nothing loaded before play, subtitles, transcript, file facts."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents import get_document_model

from samizdat.publishing.blocks import SubtitlesBlock
from tests import factories
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

pytestmark = pytest.mark.django_db

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
