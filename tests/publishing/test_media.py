"""``samizdat media strip-metadata``: files uploaded before uploads were cleaned."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import CommandError, call_command
from PIL import Image
from pytest_django.fixtures import Settings
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.utils.file import hash_filelike

from tests.publishing.media_files import authored_pdf, leaks, phone_photo, readable, two_halves

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_before_cleaning(instance: Any, data: bytes) -> Any:
    """``instance`` as an upload from before: its file on disk still as the source made it."""
    Path(instance.file.path).write_bytes(data)
    return instance


def strip(**streams: StringIO) -> None:
    call_command("media", "strip-metadata", **streams)


def test_old_uploads_are_cleaned_in_place_and_renditions_made_again(
    media: Path, django_capture_on_commit_callbacks: OnCommit
) -> None:
    image = get_image_model()(title="Old photo")
    out = io.BytesIO()
    two_halves().save(out, "JPEG")
    image.file = ImageFile(io.BytesIO(out.getvalue()), name="old.jpg")
    image.save()
    stored_before_cleaning(image, phone_photo(orientation=6))
    # A JPEG rendition made from it then carried its EXIF along (Willow copies it).
    old_rendition = image.get_rendition("width-300|format-jpeg")
    assert leaks(Path(old_rendition.file.path).read_bytes())
    document = get_document_model()(title="Old contract")
    document.file = ContentFile(b"%PDF-1.4 placeholder", name="contract.pdf")
    with pytest.raises(Exception, match="could not be read"):
        document.save()  # a file that cannot be cleaned is not stored on save either
    document.file = ContentFile(authored_pdf(), name="contract.pdf")
    document.save()
    address = document.url
    stored_before_cleaning(document, authored_pdf())

    out_text = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        strip(stdout=out_text)
    assert "images: 1 of 1 cleaned" in out_text.getvalue()
    assert "documents: 1 of 1 cleaned" in out_text.getvalue()

    image.refresh_from_db()
    stored = Path(image.file.path).read_bytes()
    assert leaks(stored) == []
    assert (image.width, image.height) == (400, 600)  # turned upright
    assert image.file_hash == hash_filelike(io.BytesIO(stored))
    assert not Path(old_rendition.file.path).exists()
    rendition = image.get_rendition("width-300|format-jpeg")
    with Image.open(rendition.file.path) as picture:
        assert len(picture.getexif()) == 0 and picture.height > picture.width
    assert leaks(Path(rendition.file.path).read_bytes()) == []

    document.refresh_from_db()
    assert document.url == address  # links to it keep working
    assert leaks(readable(Path(document.file.path).read_bytes())) == []
    assert document.file_size == Path(document.file.path).stat().st_size

    again = StringIO()
    strip(stdout=again)
    assert "images: 0 of 1 cleaned" in again.getvalue()
    assert "documents: 0 of 1 cleaned" in again.getvalue()


def test_a_file_that_cannot_be_cleaned_is_named_and_the_others_are_cleaned(media: Path) -> None:
    Document = get_document_model()
    broken = Document(title="Damaged", file=ContentFile(authored_pdf(), name="damaged.pdf"))
    broken.save()
    stored_before_cleaning(broken, b"%PDF-1.4 cut off")
    fine = Document(title="Fine", file=ContentFile(authored_pdf(), name="fine.pdf"))
    fine.save()
    stored_before_cleaning(fine, authored_pdf())

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 file"):
        strip(stdout=out, stderr=err)
    assert f"document {broken.pk}: This file could not be read" in err.getvalue()
    assert "documents: 1 of 2 cleaned" in out.getvalue()
    assert leaks(readable(Path(fine.file.path).read_bytes())) == []
