"""The admin's image and document forms (``WAGTAILIMAGES_IMAGE_FORM_BASE``,
``WAGTAILDOCS_DOCUMENT_FORM_BASE``): an upload loses its identifying metadata before it is
stored, and a file that cannot be cleaned is refused with the reason, on the single and the
multiple upload screens and in the choosers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.forms import BaseImageForm

from samizdat.publishing.metadata import (
    CleanedUpload,
    MetadataError,
    clean_document,
    clean_image,
)


def cleaned_upload(upload: Any, clean: Any) -> Any:
    """``upload`` (a new file, or the stored one when none was sent) without metadata."""
    if not isinstance(upload, UploadedFile):
        return upload
    upload.seek(0)
    data = upload.read()
    try:
        cleaned = clean(data)
    except MetadataError as error:
        raise ValidationError(str(error), code="metadata") from error
    return CleanedUpload(
        upload.name or "upload", cleaned, upload.content_type or "application/octet-stream"
    )


class ImageForm(BaseImageForm):
    def clean_file(self) -> Any:
        return cleaned_upload(self.cleaned_data.get("file"), clean_image)


class DocumentForm(BaseDocumentForm):
    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        name = getattr(upload, "name", "") or ""
        return cleaned_upload(upload, lambda data: clean_document(data, name))
