"""The bundle as published: one bucket of the object store (``SAMIZDAT_BUNDLE_BUCKET`` under
``SAMIZDAT_BUNDLE_PREFIX``, the ``SAMIZDAT_S3_*`` settings of the media bucket) that every
node publishes to and readers' web servers or a CDN serve.

Only the builder holding the lock (``state.builder_lock``) writes to it, in this order:
changed files, then ``manifest.json`` and its signature, then deletions, so the manifest
never lists a file the bucket lacks. A node whose own copy is behind (another node built
since, or its disk is new) first brings it to the bucket's manifest (``catch_up``); a full
build compares the whole bucket with the new manifest (listing it), so it also repairs
stray and missing objects. A takedown during a full build rewrites the bucket's manifest
without the page and deletes its objects at once (``take_down``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from samizdat.core.files import write_atomic
from samizdat.mirrors import manifest
from samizdat.mirrors.manifest import MANIFEST, SIGNATURE, FileEntry, read_manifest
from samizdat.mirrors.targets import S3_DELETE_BATCH, S3Objects
from samizdat.mirrors.write import BundleError, remove_file, safe_path

logger = logging.getLogger(__name__)

THREADS = 8  # requests in flight at once
TIMEOUT = 10  # seconds to connect and for each read
LAST = (MANIFEST, SIGNATURE)


class PublishError(BundleError):
    """The bucket could not be brought to the bundle (the store is down, refuses access)."""


def configured() -> bool:
    """Whether the installation publishes its bundle to a bucket."""
    return bool(settings.BUNDLE_BUCKET)


@dataclass
class Published:
    """What a publication did to the bucket."""

    uploaded: int = 0
    deleted: int = 0


_clients: dict[tuple[Any, ...], Any] = {}


def _client() -> Any:
    """The store's client, made once per process for these settings (making one reads
    botocore's service descriptions: most of a second)."""
    key = (
        settings.S3_ENDPOINT_URL,
        settings.S3_REGION,
        settings.S3_ACCESS_KEY_ID,
        settings.S3_SECRET_ACCESS_KEY,
    )
    if key not in _clients:
        _clients.clear()
        _clients[key] = _new_client()
    return _clients[key]


def _new_client() -> Any:
    import boto3  # only here: importing it costs every other process a third of a second
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL,
        region_name=settings.S3_REGION,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY,
        config=Config(
            connect_timeout=TIMEOUT,
            read_timeout=TIMEOUT,
            retries={"total_max_attempts": 3, "mode": "standard"},
            max_pool_connections=THREADS * 2,
        ),
    )


class Bucket(S3Objects):
    """The bundle bucket under its prefix."""

    def __init__(self) -> None:
        self.bucket = settings.BUNDLE_BUCKET
        prefix = settings.BUNDLE_PREFIX.strip("/")
        self.prefix = f"{prefix}/" if prefix else ""
        self.client: Any = _client()

    def etag(self, rel: str) -> str | None:
        """The object's ETag (its MD5 when uploaded in one request); None when absent."""
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + rel)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise
        return str(head.get("ETag", "")).strip('"')

    def delete(self, rels: Sequence[str]) -> None:
        for start in range(0, len(rels), S3_DELETE_BATCH):
            failed = self.delete_objects(rels[start : start + S3_DELETE_BATCH])
            if failed:
                raise PublishError("{}: {}".format(*failed))


def _entries(data: bytes | None) -> dict[str, FileEntry] | None:
    parsed = read_manifest(data)[0] if data is not None else None
    return None if parsed is None else {entry["path"]: entry for entry in parsed["files"]}


def _own_entries(data: bytes | None) -> dict[str, FileEntry] | None:
    """The entries of a manifest this process has just written (checked when it was
    written: read without checking every path again, a third of a second for 10,000)."""
    if data is None:
        return None
    try:
        files = json.loads(data)["files"]
        return {entry["path"]: entry for entry in files}
    except (ValueError, KeyError, TypeError):
        return _entries(data)


def _local_manifest(root: Path) -> bytes | None:
    try:
        return (root / MANIFEST).read_bytes()
    except FileNotFoundError:
        return None


def _in_parallel(work: Any, items: Iterable[str]) -> int:
    items = list(items)
    if not items:
        return 0
    with ThreadPoolExecutor(min(THREADS, len(items))) as pool:
        for _done in pool.map(work, items):
            pass
    return len(items)


def _s3_errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def publish(
    root: Path, *, changed: Sequence[str] = (), removed: Sequence[str] = (), full: bool = False
) -> Published:
    """Bring the bucket to ``root``'s manifest: the ``changed`` files (every file that
    differs, by a listing of the bucket and its manifest, when ``full``), the manifest and
    its signature, then the ``removed`` files (every object the manifest does not list)."""
    try:
        return _publish(root, changed=changed, removed=removed, full=full)
    except _s3_errors() as error:
        raise PublishError(f"the bundle bucket: {error}") from error


def _publish(
    root: Path, *, changed: Sequence[str], removed: Sequence[str], full: bool
) -> Published:
    bucket = Bucket()
    data = _local_manifest(root)
    local = _own_entries(data)
    if data is None or local is None:
        raise PublishError(f"{root}: no readable {MANIFEST} to publish")
    if full:
        listing = bucket.listing()
        remote = _entries(bucket.get(MANIFEST)) or {}
        upload = [
            rel
            for rel, entry in sorted(local.items())
            if listing.get(rel) != entry["size"]
            or (rel in remote and remote[rel]["sha256"] != entry["sha256"])
            or rel not in remote
        ]
        stale = sorted(listing.keys() - local.keys() - set(LAST))
    else:
        upload = sorted({rel for rel in changed if rel in local})
        stale = sorted({rel for rel in removed if rel not in local and rel not in LAST})
    signature = _read(root / SIGNATURE)

    def put(rel: str) -> None:
        body = safe_path(root, rel).read_bytes()
        if len(body) != local[rel]["size"]:
            raise PublishError(f"{rel}: changed in the bundle while it was published")
        bucket.put(rel, body)

    report = Published(uploaded=_in_parallel(put, upload))
    bucket.put(MANIFEST, data)
    if signature is not None:
        bucket.put(SIGNATURE, signature)
    else:
        stale.append(SIGNATURE)  # no key any more: an old signature would not verify
    report.uploaded += 1 + (signature is not None)
    bucket.delete(stale)
    report.deleted = len(stale)
    return report


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def catch_up(root: Path) -> int:
    """Bring this node's bundle to the bucket's manifest when they differ (another node
    published since, or this one's disk is new or was lost): fetch what differs, remove what
    the bucket lacks, take its manifest and signature. The number of files changed here."""
    try:
        return _catch_up(root)
    except _s3_errors() as error:
        raise PublishError(f"the bundle bucket: {error}") from error


def _catch_up(root: Path) -> int:
    bucket = Bucket()
    mine = _local_manifest(root)
    if mine is not None and bucket.etag(MANIFEST) == hashlib.md5(mine).hexdigest():  # noqa: S324
        return 0  # the same bytes: this node published last (one HEAD request)
    data = bucket.get(MANIFEST)
    remote = _entries(data)
    if data is None or remote is None:
        return 0  # nothing published yet: this node's build will be
    if mine == data:
        return 0
    root.mkdir(parents=True, exist_ok=True)
    local = _entries(mine) or {}

    def differs(rel: str) -> bool:
        entry, known = remote[rel], local.get(rel)
        try:
            size = safe_path(root, rel).stat().st_size
        except OSError:
            return True
        return size != entry["size"] or known is None or known["sha256"] != entry["sha256"]

    def fetch(rel: str) -> None:
        body = bucket.get(rel)
        entry = remote[rel]
        if body is None or hashlib.sha256(body).hexdigest() != entry["sha256"]:
            raise PublishError(f"{rel}: the bucket does not hold what its manifest lists")
        write_atomic(safe_path(root, rel), body)

    fetched = _in_parallel(fetch, [rel for rel in sorted(remote) if differs(rel)])
    removed = 0
    for rel, _path in sorted(manifest.walk(root)):
        if rel not in remote:
            removed += len(remove_file(root, rel)) and 1
    write_atomic(root / MANIFEST, data, durable=True)
    signature = bucket.get(SIGNATURE)
    if signature is not None:
        write_atomic(root / SIGNATURE, signature, durable=True)
    else:
        with suppress(FileNotFoundError):
            (root / SIGNATURE).unlink()
    logger.info("bundle: caught up from the bucket (%s fetched, %s removed)", fetched, removed)
    return fetched + removed


def take_down(root: Path, rels: Iterable[str], *, private_key_pem: bytes | None) -> int:
    """Remove ``rels`` at once from the bucket (its manifest first, then the objects) and
    from this node's manifest, in the middle of a build: the page is gone for readers
    before the build ends. The number of objects deleted."""
    rels = set(rels)
    try:
        bucket = Bucket() if configured() else None
        data = bucket.get(MANIFEST) if bucket is not None else _local_manifest(root)
        entries = _entries(data) or {}
        gone = sorted(rels & entries.keys())
        key = manifest._private_key(private_key_pem) if private_key_pem else None
        kept: manifest.Manifest = {
            "format": manifest.FORMAT,
            "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "files": [entries[rel] for rel in sorted(entries.keys() - rels)],
        }
        if data is not None:
            manifest._write_signed(root, kept, key)
        if bucket is None:
            return 0
        if data is not None and gone:
            bucket.put(MANIFEST, (root / MANIFEST).read_bytes())
            signature = _read(root / SIGNATURE)
            if signature is not None:
                bucket.put(SIGNATURE, signature)
        bucket.delete(sorted(rels))
        return len(gone)
    except _s3_errors() as error:
        raise PublishError(f"the bundle bucket: {error}") from error
