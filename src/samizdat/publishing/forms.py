"""The admin's image, document and media forms (``WAGTAILIMAGES_IMAGE_FORM_BASE``,
``WAGTAILDOCS_DOCUMENT_FORM_BASE``, ``WAGTAILMEDIA["MEDIA_FORM_BASE"]``): an upload loses its
identifying metadata before it is stored, and a file that cannot be cleaned (or is not what it
says: audio, video, WebVTT subtitles) is refused with the reason, on the single and the
multiple upload screens and in the choosers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.forms import BaseImageForm
from wagtailmedia.forms import BaseMediaForm

from samizdat.publishing.audio_video import (
    SNIFF_BYTES,
    MediaFileError,
    check_media,
    check_webvtt,
    strip_tags,
)
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
        if isinstance(upload, UploadedFile) and name.lower().endswith(".vtt"):
            upload.seek(0)
            try:
                check_webvtt(upload.read())
            except MediaFileError as error:
                raise ValidationError(str(error), code="webvtt") from error
        return cleaned_upload(upload, lambda data: clean_document(data, name))


class MediaForm(BaseMediaForm):
    """Audio and video: the file must be what its type says, and loses its tags; its length
    is read from the file when the editor leaves it empty. The poster is an image chosen in
    the story (a rendition), so wagtailmedia's own thumbnail upload is not offered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("thumbnail", None)
        self._duration: float | None = None

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):
            return upload
        upload.seek(0)
        data = upload.read()
        try:
            container = check_media(data[:SNIFF_BYTES], self.instance.type)
        except MediaFileError as error:
            raise ValidationError(str(error), code="media") from error
        cleaned = strip_tags(data)
        self._duration = cleaned.duration
        return CleanedUpload(upload.name or "upload", cleaned.data, container.mime_type)

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if self._duration and not cleaned_data.get("duration"):
            cleaned_data["duration"] = round(self._duration, 2)
        return cleaned_data
