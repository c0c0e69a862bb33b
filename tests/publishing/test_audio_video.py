"""Audio, video and subtitle uploads: refused with the reason unless they are what they say,
stored without the tags that name people and programs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings
from wagtail.documents import get_document_model
from wagtailmedia.models import get_media_model

from samizdat.publishing.audio_video import check_webvtt, duration_text, sniff, strip_tags
from tests.logins import log_in
from tests.publishing.media_files import (
    AUTHOR,
    COMMENT,
    SOFTWARE,
    WEBVTT,
    authored_pdf,
    demo_mp3,
    demo_webm,
    tagged_mp3,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def editor(client: Client) -> Client:
    user = User.objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    log_in(client, user)
    return client


def add_media(client: Client, kind: str, name: str, data: bytes, **fields: Any) -> Any:
    return client.post(
        f"/admin/media/{kind}/add/",
        {"title": name, "file": SimpleUploadedFile(name, data), "duration": "", **fields},
    )


def test_the_first_bytes_say_what_a_file_is() -> None:
    assert sniff(demo_mp3()[:4096]).name == "MP3"  # type: ignore[union-attr]
    assert sniff(tagged_mp3()[:4096]).name == "MP3"  # type: ignore[union-attr]
    webm = sniff(demo_webm()[:4096])
    assert webm is not None and webm.mime_type == "video/webm"
    assert sniff(authored_pdf()[:4096]) is None
    assert sniff(b"<html><body>not a film</body></html>") is None


def test_tags_naming_people_and_programs_are_removed_and_the_length_read() -> None:
    tagged = tagged_mp3()
    assert AUTHOR.encode() in tagged and SOFTWARE.encode() in tagged
    cleaned = strip_tags(tagged)
    for secret in (AUTHOR, SOFTWARE, COMMENT):
        assert secret.encode() not in cleaned.data
    assert cleaned.data == demo_mp3()  # the sound itself is untouched
    assert cleaned.duration is not None and duration_text(cleaned.duration) == "0:32"
    assert strip_tags(demo_webm()).data == demo_webm()  # WebM is kept as it is


def test_an_editor_uploads_audio_which_loses_its_tags_and_gets_its_length(
    editor: Client, media: Path
) -> None:
    response = add_media(editor, "audio", "interview.mp3", tagged_mp3())
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = get_media_model().objects.get(title="interview.mp3")
    data = Path(stored.file.path).read_bytes()
    assert AUTHOR.encode() not in data and COMMENT.encode() not in data
    assert stored.type == "audio" and round(stored.duration) == 32
    assert not stored.thumbnail  # posters are images, cleaned like every image


@pytest.mark.parametrize(
    ("kind", "name", "data", "reason"),
    [
        ("audio", "leak.mp3", b"%PDF-1.7 a document renamed", "not audio or video that browsers"),
        ("video", "leak.webm", b"<html>a page renamed</html>", "not audio or video that browsers"),
        ("video", "interview.mp4", b"ID3" + demo_mp3()[3:], "This is an audio file (MP3)"),
    ],
)
def test_a_file_that_is_not_what_it_says_is_refused_with_the_reason(
    editor: Client, media: Path, kind: str, name: str, data: bytes, reason: str
) -> None:
    response = add_media(editor, kind, name, data)
    assert response.status_code == 200
    assert reason in response.content.decode()
    assert not get_media_model().objects.exists()
    assert not list(media.rglob("*.*"))


def test_a_russian_editor_reads_the_reason_in_russian(editor: Client, media: Path) -> None:
    editor.cookies["django_language"] = "ru"
    response = editor.post(
        "/admin/media/audio/add/",
        {"title": "x", "file": SimpleUploadedFile("x.mp3", b"not audio"), "duration": ""},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert "не аудио и не видео" in response.content.decode()


def test_subtitles_must_be_webvtt(editor: Client, media: Path) -> None:
    refused = editor.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile("film.en.vtt", b"1\n00:00:01,000 --> 00:00:02,000\nHi\n")},
    )
    answer = refused.json()
    assert not answer["success"]
    assert "its first line must be" in str(answer)
    accepted = editor.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile("film.en.vtt", WEBVTT.encode())},
    ).json()
    assert accepted["success"], accepted
    document = get_document_model().objects.get(pk=accepted["doc_id"])
    assert Path(document.file.path).read_text() == WEBVTT


def test_webvtt_rules() -> None:
    check_webvtt(WEBVTT.encode())
    check_webvtt(("\ufeff" + WEBVTT).encode())  # a byte-order mark is allowed
    check_webvtt(b"WEBVTT - The lanterns\n\n")
    for bad in (b"WEBVTTX\n", b"\xff\xfeW\x00", b"", b"SRT\nWEBVTT\n"):
        with pytest.raises(ValueError, match="WebVTT"):
            check_webvtt(bad)


def test_files_stored_another_way_lose_their_tags_too(media: Path) -> None:
    Media = get_media_model()
    stored = Media(title="Script upload", type="audio")
    stored.file = ContentFile(tagged_mp3(), name="script.mp3")
    stored.save()
    assert AUTHOR.encode() not in Path(stored.file.path).read_bytes()
    assert round(stored.duration) == 32
