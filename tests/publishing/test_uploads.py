"""Photos and documents uploaded in the admin keep nothing of their sources: not where they
are stored, not in what readers get (pages, renditions, downloads), not in the static bundle."""

from __future__ import annotations

import io
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.utils.file import hash_filelike

from samizdat.publishing.demo import demo_image, generate_photo
from tests import factories
from tests.logins import log_in
from tests.publishing.media_files import (
    AUTHOR,
    authored_docx,
    authored_pdf,
    leaks,
    phone_photo,
    readable,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    """MEDIA_ROOT of this test alone: every file in it is this test's upload or rendition."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def editor(client: Client) -> Client:
    user = User.objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    log_in(client, user)
    return client


def files_under(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def upload(client: Client, kind: str, name: str, data: bytes) -> dict[str, Any]:
    """What Wagtail's multiple upload screen answers for one file."""
    response = client.post(
        f"/admin/{kind}/multiple/add/",
        {"files[]": SimpleUploadedFile(name, data), "title": name},
    )
    assert response.status_code == 200
    return dict(response.json())


def test_a_phone_photo_keeps_no_place_camera_or_serial_anywhere(
    editor: Client, media: Path, newsroom: dict[str, Any], tmp_path: Path
) -> None:
    photo = phone_photo(orientation=6)  # a phone held upright
    assert leaks(photo)
    answer = upload(editor, "images", "harbour.jpg", photo)
    assert answer["success"], answer
    image = get_image_model().objects.get(pk=answer["image_id"])

    stored = Path(image.file.path).read_bytes()
    assert leaks(stored) == []
    with Image.open(io.BytesIO(stored)) as picture:
        assert len(picture.getexif()) == 0
        assert picture.size == (400, 600) == (image.width, image.height)  # upright
        top, bottom = picture.convert("RGB").getpixel((200, 100)), picture.getpixel((200, 500))
        assert isinstance(top, tuple) and isinstance(bottom, tuple)
        assert top[0] > 150 > top[2] and bottom[2] > 150 > bottom[0]
    assert image.file_size == len(stored)
    assert image.file_hash == hash_filelike(io.BytesIO(stored))

    factories.ArticlePageFactory(
        parent=newsroom["news"], title="Harbour", slug="harbour", lead_image=image
    )
    page = editor.get("/en/news/harbour/").content.decode()
    renditions = set(re.findall(r"media/(images/[^\"\s,]+)", page))
    assert renditions
    for rel in renditions:
        with Image.open(media / rel) as rendition:
            assert len(rendition.getexif()) == 0 and rendition.height > rendition.width
    # The original is no address readers can reach.
    assert Client().get(image.file.url).status_code == 404

    # The module's newsroom may have been built while another test's media folder was set:
    # its photo is written here too, so that every page of the build renders.
    court = newsroom["image"]
    if not court.file.storage.exists(court.file.name):
        court.file.storage.save(
            court.file.name, ContentFile(generate_photo(court.title, court.width, court.height))
        )
    root = tmp_path / "bundle"
    call_command("mirror", "build", str(root), stdout=StringIO(), stderr=StringIO())
    copied = files_under(root)
    assert {f"media/{rel}" for rel in renditions} <= set(copied)
    assert [rel for rel in copied if rel.startswith("media/")] == [
        rel for rel in copied if rel.startswith("media/images/")
    ]
    assert not [rel for rel, data in copied.items() if leaks(data)]
    assert not [rel for rel, data in files_under(media).items() if leaks(data)]


def test_a_pdf_and_a_word_file_lose_their_author_before_anyone_downloads_them(
    editor: Client, media: Path
) -> None:
    for name, data in (("contract.pdf", authored_pdf()), ("memo.docx", authored_docx())):
        assert AUTHOR in leaks(readable(data))
        answer = upload(editor, "documents", name, data)
        assert answer["success"], answer
        document = get_document_model().objects.get(pk=answer["doc_id"])
        assert leaks(readable(Path(document.file.path).read_bytes())) == []
        assert document.file_size == Path(document.file.path).stat().st_size

        # Staff may download it at once; readers once a public story links it (test_documents).
        download = editor.get(document.url)
        assert download.status_code == 200
        served = b"".join(download.streaming_content)  # type: ignore[attr-defined]
        assert leaks(readable(served)) == []
        assert served == Path(document.file.path).read_bytes()
    assert not [rel for rel, data in files_under(media).items() if leaks(readable(data))]


def test_a_file_that_cannot_be_cleaned_is_refused_with_the_reason(
    editor: Client, media: Path
) -> None:
    import pikepdf

    locked = io.BytesIO()
    with pikepdf.open(io.BytesIO(authored_pdf())) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="open sesame", owner="owner"))
    answer = upload(editor, "documents", "locked.pdf", locked.getvalue())
    assert answer["success"] is False
    assert "protected by a password" in answer["error_message"]

    # The single upload form says the same, keeping what the editor typed.
    response = editor.post(
        "/admin/documents/add/",
        {"title": "Leaked contract", "file": SimpleUploadedFile("locked.pdf", locked.getvalue())},
    )
    assert response.status_code == 200
    assert "protected by a password" in response.content.decode()
    assert 'value="Leaked contract"' in response.content.decode()
    assert get_document_model().objects.count() == 0
    assert files_under(media) == {}


def test_images_stored_without_the_admin_are_cleaned_too(media: Path) -> None:
    # A script, an import: whatever saves an image.
    image = get_image_model()(title="Imported")
    image.file = ImageFile(io.BytesIO(phone_photo()), name="imported.jpg")
    image.save()
    stored = Path(image.file.path).read_bytes()
    assert leaks(stored) == []
    assert image.file_hash == hash_filelike(io.BytesIO(stored))
    # The demo's drawn photos go the same way.
    drawn = demo_image("Harbour at dawn", "harbour-at-dawn")
    assert drawn.file_hash == hash_filelike(io.BytesIO(Path(drawn.file.path).read_bytes()))
    assert drawn.file_size == Path(drawn.file.path).stat().st_size
