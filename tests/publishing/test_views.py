"""The audio, video and subtitle files of public stories: served with byte ranges (players
seek with them), and only while a live public story links them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.documents import get_document_model
from wagtail.models import PageViewRestriction

from tests.logins import log_in
from tests.publishing.helpers import draft_article, media_story, stored_media, stored_subtitles
from tests.publishing.media_files import WEBVTT, demo_mp3, demo_webm

pytestmark = pytest.mark.django_db


@pytest.fixture
def film(newsroom: dict[str, Any]) -> dict[str, Any]:
    video = stored_media("video", "film.webm", demo_webm(), duration=12)
    subtitles = stored_subtitles("en", WEBVTT)
    story = media_story(
        newsroom["culture"],
        "video",
        video,
        title="The film",
        slug="the-film",
        subtitles=[{"file": subtitles, "language": "en", "kind": "subtitles"}],
    )
    return {"story": story, "video": video, "subtitles": subtitles, "data": demo_webm()}


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def test_a_public_video_is_served_whole_with_ranges_offered(
    client: Client, film: dict[str, Any]
) -> None:
    response = client.get(film["video"].file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/webm"
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == film["data"]
    assert not response.cookies


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=1000-1999", 1000, 1999), ("bytes=150000-", 150000, None), ("bytes=-500", -500, None)],
)
def test_seeking_asks_for_a_range_and_gets_exactly_those_bytes(
    client: Client, film: dict[str, Any], header: str, start: int, end: int | None
) -> None:
    data: bytes = film["data"]
    expected = data[start : end + 1] if end is not None else data[start:]
    response = client.get(film["video"].file.url, HTTP_RANGE=header)
    assert response.status_code == 206
    assert body(response) == expected
    first = start if start >= 0 else len(data) + start
    assert response["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(data)}"
    assert response["Content-Length"] == str(len(expected))


def test_a_range_past_the_end_is_refused_with_the_size(
    client: Client, film: dict[str, Any]
) -> None:
    size = len(film["data"])
    response = client.get(film["video"].file.url, HTTP_RANGE=f"bytes={size}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_subtitles_are_served_as_webvtt(client: Client, film: dict[str, Any]) -> None:
    response = client.get(film["subtitles"].file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert body(response).decode() == WEBVTT


def test_files_no_live_public_story_links_are_not_reachable(
    client: Client, newsroom: dict[str, Any], film: dict[str, Any]
) -> None:
    unused = stored_media("audio", "unused.mp3", demo_mp3())
    assert client.get(unused.file.url).status_code == 404
    in_draft = stored_media("audio", "draft.mp3", demo_mp3())
    draft = draft_article(newsroom["news"], title="Draft", slug="draft")
    draft.body = [("audio", {"media": in_draft, "subtitles": []})]
    draft.save_revision()
    assert client.get(in_draft.file.url).status_code == 404
    assert client.get("/media/media/../../secret.txt").status_code == 404

    PageViewRestriction.objects.create(page=film["story"], restriction_type="login")
    assert client.get(film["video"].file.url).status_code == 404
    PageViewRestriction.objects.all().delete()
    assert client.get(film["video"].file.url).status_code == 200
    film["story"].unpublish()
    assert client.get(film["video"].file.url).status_code == 404
    assert client.get(film["subtitles"].file.url).status_code == 404
    assert Path(film["video"].file.path).exists()  # kept for the editors, not for readers


def test_staff_signed_in_with_their_second_factor_play_what_they_preview(
    client: Client, newsroom: dict[str, Any], admin_user: Any
) -> None:
    in_draft = stored_media("audio", "draft.mp3", demo_mp3())
    assert client.get(in_draft.file.url).status_code == 404
    client.force_login(admin_user)  # a password alone: not yet signed in to the admin
    assert client.get(in_draft.file.url).status_code == 404
    log_in(client, admin_user)
    response = client.get(in_draft.file.url, HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206 and body(response) == demo_mp3()[:10]


def test_a_document_that_is_no_webvtt_file_is_never_served_as_subtitles(
    client: Client, newsroom: dict[str, Any]
) -> None:
    ruling = get_document_model()(title="Ruling")
    ruling.file = ContentFile(b"The ruling: the app serves it with its rules", name="ruling.txt")
    ruling.save()
    video = stored_media("video", "clip.webm", demo_webm())
    subtitles = [{"file": ruling, "language": "en", "kind": "subtitles"}]
    media_story(newsroom["news"], "video", video, slug="clip", subtitles=subtitles)
    assert client.get(video.file.url).status_code == 200
    assert client.get(ruling.file.url).status_code == 404
