"""The uploads' storage: the node's disk (``MEDIA_ROOT``, the default) or one bucket of an
S3-compatible store every node shares (``SAMIZDAT_MEDIA_BUCKET``).

Code that reads an upload goes through the storage API (``open``, ``size``, ``exists``) or
``stream`` here, never through ``MEDIA_ROOT`` or a file's ``.path``: on a node whose disk holds
nothing, a photo uploaded on another node still renders and its renditions still answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, cast

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from samizdat.core.files import write_atomic

CHUNK = 64 * 1024
SIZE_TIMEOUT = 24 * 3600
_MISSING = {"404", "NoSuchKey", "NotFound"}


class MediaStorage(S3Storage):
    """django-storages' S3 backend whose URLs are the site's own: ``/media/<name>`` (the
    app and nginx serve them from the private bucket), or ``SAMIZDAT_MEDIA_PUBLIC_URL/<name>``
    when readers fetch them from a CDN or the bucket itself."""

    def url(
        self,
        name: str,
        parameters: Any = None,
        expire: Any = None,
        http_method: Any = None,
    ) -> str:
        base = settings.MEDIA_PUBLIC_URL or settings.MEDIA_URL.rstrip("/")
        return f"{base}/{filepath_to_uri(clean_name(name)).lstrip('/')}"


def media_storage() -> Storage:
    return storages["default"]


def in_bucket(storage: Storage | None = None) -> bool:
    """Whether the uploads live in the object store rather than on this node's disk."""
    return isinstance(storage or media_storage(), S3Storage)


def size(name: str, storage: Storage | None = None) -> int | None:
    """The stored file's size in bytes; None when there is no such file."""
    storage = storage or media_storage()
    try:
        return int(storage.size(name))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except ClientError as error:
        if str(error.response.get("Error", {}).get("Code")) in _MISSING:
            return None
        raise


def known_size(name: str, storage: Storage | None = None) -> int | None:
    """``size``, remembered for a day in the shared cache when the file is in a bucket (where
    asking costs a request): pages that state a file's size render without one. A stored
    name never gets other bytes (``file_overwrite`` is off) but through ``replace``, which
    forgets it."""
    storage = storage or media_storage()
    if not isinstance(storage, S3Storage):
        return size(name, storage)
    key = f"media-size:{name}"
    found = cache.get(key)
    if found is None:
        found = size(name, storage)
        if found is not None:
            cache.set(key, found, SIZE_TIMEOUT)
    return int(found) if found is not None else None


def stream(
    name: str, start: int = 0, length: int | None = None, storage: Storage | None = None
) -> Iterator[bytes]:
    """The bytes of ``name`` from ``start`` (``length`` of them, or to the end), in chunks:
    never the whole file in memory. From a bucket with one ranged GET (django-storages'
    own file object would first download the whole object)."""
    storage = storage or media_storage()
    if isinstance(storage, S3Storage):
        request: dict[str, Any] = {
            "Bucket": storage.bucket_name,
            "Key": storage._normalize_name(clean_name(name)),
        }
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            request["Range"] = f"bytes={start}-{end}"
        body = storage.connection.meta.client.get_object(**request)["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()
        return
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        left = length
        while left is None or left > 0:
            chunk = handle.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


@contextmanager
def reader(name: str, storage: Storage | None = None) -> Iterator[BinaryIO]:
    """``name`` opened for reading as a stream (``read(n)``), closed afterwards."""
    storage = storage or media_storage()
    if isinstance(storage, S3Storage):
        body = storage.connection.meta.client.get_object(
            Bucket=storage.bucket_name, Key=storage._normalize_name(clean_name(name))
        )["Body"]
        try:
            yield body
        finally:
            body.close()
        return
    with storage.open(name, "rb") as handle:
        yield cast(BinaryIO, handle)


def same_bytes(name: str, path: Path, storage: Storage | None = None) -> bool:
    """Whether the local file ``path`` holds what ``name`` does (a bundle's copy): by size,
    then by the object's MD5 ETag in a bucket (read again only when the ETag is not one,
    as after a multipart upload), by the bytes on a disk."""
    storage = storage or media_storage()
    try:
        local_size = path.stat().st_size
    except OSError:
        return False
    if local_size != size(name, storage):
        return False
    if isinstance(storage, S3Storage):
        head = storage.connection.meta.client.head_object(
            Bucket=storage.bucket_name, Key=storage._normalize_name(clean_name(name))
        )
        etag = str(head.get("ETag", "")).strip('"')
        if re.fullmatch(r"[0-9a-f]{32}", etag):
            with path.open("rb") as local:
                return hashlib.file_digest(local, "md5").hexdigest() == etag
    with path.open("rb") as local:
        for chunk in stream(name, storage=storage):
            if local.read(len(chunk)) != chunk:
                return False
        return local.read(1) == b""


def replace(name: str, data: bytes, storage: Storage | None = None) -> None:
    """Store ``data`` as ``name`` in place of what is there (the same address): atomically on
    the disk; in a bucket a PUT replaces the object as one."""
    storage = storage or media_storage()
    if isinstance(storage, S3Storage):
        storage._save(name, ContentFile(data))
        cache.delete(f"media-size:{name}")
        return
    write_atomic(Path(storage.path(name)), data)
