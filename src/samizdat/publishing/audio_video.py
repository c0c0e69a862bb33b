"""Audio and video uploads: what a file really is, its tags removed, and how readers see it.

An upload is accepted only when its bytes are a container browsers play with their own
controls (MP3, MP4/M4A, Ogg/Opus, WebM) of the kind chosen (audio or video). Tags that name
people or programs are removed with ``mutagen`` where it can write the format; what stays is
listed in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import mutagen
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

SNIFF_BYTES = 4096
WEBVTT_SIGNATURE = "WEBVTT"


class MediaFileError(ValueError):
    """An upload that is not audio or video browsers play, or not of the kind chosen."""


@dataclass(frozen=True)
class Container:
    """What the first bytes of a file say it is."""

    name: str
    mime_type: str
    kinds: frozenset[str]  # "audio", "video"


MP3 = Container("MP3", "audio/mpeg", frozenset({"audio"}))
M4A = Container("M4A", "audio/mp4", frozenset({"audio"}))
MP4 = Container("MP4", "video/mp4", frozenset({"audio", "video"}))
OGG_AUDIO = Container("Ogg", "audio/ogg", frozenset({"audio"}))
OGG_VIDEO = Container("Ogg", "video/ogg", frozenset({"video"}))
WEBM = Container("WebM", "video/webm", frozenset({"audio", "video"}))

ACCEPTED = _("MP3, M4A, Ogg/Opus or MP4/WebM video")


def sniff(head: bytes) -> Container | None:
    """The container of a file starting with ``head``, if browsers play it."""
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head[4:8] == b"ftyp":
        return M4A if head[8:11] in (b"M4A", b"M4B") else MP4
    if head.startswith(b"OggS"):
        return OGG_VIDEO if b"theora" in head else OGG_AUDIO
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return WEBM
    return None


def check_media(head: bytes, kind: str) -> Container:
    """The container of an upload of ``kind``; MediaFileError with the reason otherwise."""
    container = sniff(head)
    if container is None:
        raise MediaFileError(
            gettext("This file is not audio or video that browsers play (%(formats)s).")
            % {"formats": ACCEPTED}
        )
    if kind not in container.kinds:
        message = (
            gettext("This is an audio file (%(format)s): upload it as audio.")
            if kind == "video"
            else gettext("This is a video file (%(format)s): upload it as video.")
        )
        raise MediaFileError(message % {"format": container.name})
    return container


@dataclass(frozen=True)
class CleanedMedia:
    data: bytes
    duration: float | None  # seconds, when the format says


def strip_tags(data: bytes) -> CleanedMedia:
    """``data`` without its tags (ID3, Vorbis comments, MP4 metadata atoms), and its length.

    Formats ``mutagen`` does not write (WebM) are returned as they are.
    """
    buffer = io.BytesIO(data)
    try:
        found = mutagen.File(buffer)
    except mutagen.MutagenError:
        return CleanedMedia(data, None)
    if found is None:
        return CleanedMedia(data, None)
    length = getattr(found.info, "length", None)
    duration = float(length) if length else None
    buffer.seek(0)
    try:
        if found.tags is not None:
            found.delete(buffer)
    except mutagen.MutagenError:
        return CleanedMedia(data, duration)
    return CleanedMedia(buffer.getvalue(), duration)


def check_webvtt(data: bytes) -> None:
    """WebVTT or MediaFileError: UTF-8 text whose first line starts with ``WEBVTT``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MediaFileError(gettext("Subtitles must be WebVTT text in UTF-8.")) from error
    first = text.split("\n", 1)[0].rstrip("\r")
    if first != WEBVTT_SIGNATURE and not first.startswith((f"{WEBVTT_SIGNATURE} ", "WEBVTT\t")):
        raise MediaFileError(gettext('This is not a WebVTT file: its first line must be "WEBVTT".'))


MIME_TYPES = {
    "m4a": "audio/mp4",
    "m4v": "video/mp4",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
    "oga": "audio/ogg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "webm": "video/webm",
    "vtt": "text/vtt",
}


def mime_type(name: str) -> str:
    """The type a player or a podcast app expects for a file called ``name``."""
    return MIME_TYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def duration_text(seconds: float | None) -> str:
    """``1:02:03`` or ``4:05``: a length as players show it ("" when unknown)."""
    if not seconds:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
