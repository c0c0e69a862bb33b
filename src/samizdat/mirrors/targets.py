"""Copying the bundle to every enabled mirror target after a build.

Each sync claims its target in the database first (``claimed_by``, ``claimed_until`` by the
database's clock, renewed while it runs), so one process at a time, on whatever machine,
syncs a target; a sync that finds it claimed sets ``sync_pending`` and leaves: the claimer
runs again with the newest bundle before it lets go, and a crashed claimer's claim lapses.

A sync works against one manifest, read once: a directory or bucket is listed, gets every
file it lacks or holds in another size or version (by its own manifest.json), loses what the
manifest does not list, is listed again and compared with the manifest, and only then gets
``manifest.json`` and its signature. A file read from the bundle must have the size and
SHA-256 the manifest gives, or the sync starts again from the newest manifest (a build changed
the bundle meanwhile), so a target never announces a file it does not have. A command gets the
changed files (every file when it needs a full sync). A target is tried up to three times; one
that still fails is marked failed with a report and gets every file next time. Targets run
side by side in a few threads, so one that hangs until its timeout does not hold up the
others; only the calling thread touches the database.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import secrets
import shlex
import signal
import socket
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal, Protocol, cast

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now

from samizdat.core.files import write_atomic
from samizdat.mirrors.manifest import (
    CHUNK,
    MANIFEST,
    MARKER,
    SIGNATURE,
    FileEntry,
    _safe_path,
    read_manifest,
)
from samizdat.mirrors.models import MirrorTarget

logger = logging.getLogger(__name__)

RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0)  # seconds before the second and third attempt
THREADS = 4
RERUNS = 5  # runs asked for by other syncs that one claim takes on before it lets go
REPORT_LIMIT = 4000  # characters of a target's last report
STDERR_TAIL = 2000  # characters of a failed command's standard error kept in the report
S3_TIMEOUT = 10  # seconds to connect and for each read
S3_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes
BUCKET_CORS = {
    "CORSRules": [
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "MaxAgeSeconds": 86400}
    ]
}
SPOOL = 8 * 1024 * 1024  # bytes of a file held in memory on its way to a target
PROBLEMS_SHOWN = 5
LAST = (MANIFEST, SIGNATURE)

# The same as the nginx configuration of the bundle (mirrors/nginx.py).
YEAR = "public, max-age=31536000, immutable"
FIVE_MINUTES = "public, max-age=300"

# Types a browser needs right; anything else is guessed from the extension.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".sig": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    # Precompressed siblings are stored as they are: a bucket cannot choose between them
    # and the original, but a mirror check fetches and hashes every file of the manifest.
    ".gz": "application/gzip",
    ".br": "application/x-brotli",
}
FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


@dataclass(frozen=True)
class TargetResult:
    """What one sync did to one target (``deferred``: another process was syncing it and
    runs again with the newest bundle)."""

    target_id: int
    name: str
    ok: bool
    full: bool  # every file of the manifest was sent
    sent: int
    removed: int
    attempts: int
    report: str
    deferred: bool = False


class SyncError(Exception):
    """A target refused or could not take a file; ``path`` is the file ("" for the target).

    ``retry`` is False when trying again cannot help until someone acts.
    """

    def __init__(self, path: str, reason: str, *, retry: bool = True) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.retry = retry


class BundleChanged(SyncError):
    """The bundle no longer matches the manifest the sync works against: a build changed it."""


class Lease:
    """How long this process may still act on a target it claimed, by its own monotonic clock:
    a deadline taken before each claim or renewal is sent, so never later than the database's."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.until = time.monotonic() + seconds
        self.lost = False

    def renewed(self, asked_at: float) -> None:
        self.until = asked_at + self.seconds

    def check(self) -> None:
        """Raise unless the claim holds for a while yet (a quarter of the lease)."""
        if self.lost or time.monotonic() > self.until - self.seconds / 4:
            raise SyncError(
                "",
                "the claim on the target lapsed (renewing it in the database failed); "
                "another sync takes the target over",
                retry=False,
            )


@dataclass(frozen=True)
class Snapshot:
    """The bundle's manifest as read once: its bytes, its signature's and its entries."""

    manifest: bytes
    signature: bytes | None
    entries: dict[str, FileEntry]

    def last(self) -> list[tuple[str, bytes]]:
        files = [(MANIFEST, self.manifest)]
        if self.signature is not None:
            files.append((SIGNATURE, self.signature))
        return files


@dataclass
class Job:
    """What is left to do for one target; backends take items off as they finish them."""

    bundle_dir: Path
    snapshot: Snapshot
    full: bool
    lease: Lease
    upload: deque[str] = field(default_factory=deque)  # content; a command's ends with LAST
    delete: deque[str] = field(default_factory=deque)
    sent: int = 0
    removed: int = 0
    planned: bool = False  # a directory or bucket has been listed and compared


class Backend(Protocol):
    def run(self, job: Job) -> None: ...


# --- the bundle ---------------------------------------------------------------------------


def _ordered(paths: Iterable[str]) -> list[str]:
    unique = dict.fromkeys(paths)
    return [p for p in sorted(unique) if p not in LAST] + [p for p in LAST if p in unique]


def _checked(paths: Sequence[str]) -> list[str]:
    safe = [p for p in paths if _safe_path(p)]
    if len(safe) != len(paths):
        logger.error(
            "mirror targets: ignored unsafe paths %s", [p for p in paths if not _safe_path(p)]
        )
    return safe


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SyncError(path.name, f"cannot be read from the bundle ({error.strerror})") from error


def snapshot(bundle_dir: Path) -> Snapshot:
    """The bundle's manifest and signature, read so that they belong together (the manifest
    read again after the signature, until a build is not replacing them meanwhile)."""
    for attempt in range(5):
        if attempt:
            time.sleep(0.1 * attempt)
        data = _read(bundle_dir / MANIFEST)
        signature = _read(bundle_dir / SIGNATURE) if (bundle_dir / SIGNATURE).exists() else None
        if _read(bundle_dir / MANIFEST) == data and _signed_right(data, signature):
            break
    else:
        raise BundleChanged("", "the bundle's manifest kept changing while it was read")
    manifest, problems = read_manifest(data)
    if manifest is None:
        raise SyncError("", "; ".join(problems))
    return Snapshot(data, signature, {entry["path"]: entry for entry in manifest["files"]})


def _signed_right(data: bytes, signature: bytes | None) -> bool:
    """False only when the newsroom's key is here and the signature is not of these bytes (a
    build wrote the new manifest and not yet its signature)."""
    from samizdat.mirrors import manifest

    key = settings.BUNDLE_SIGNING_KEY
    if signature is None or not key:
        return True
    try:
        public = manifest.public_key_from(Path(key).read_bytes())
    except (OSError, ValueError):
        return True  # the build that signs reports that
    with tempfile.TemporaryDirectory(prefix="samizdat-sig-") as scratch:
        Path(scratch, SIGNATURE).write_bytes(signature)
        return not manifest._signature_problems(Path(scratch), data, public)


@contextmanager
def _bundle_file(bundle_dir: Path, entry: FileEntry) -> Iterator[BinaryIO]:
    """A copy of a bundle file that is exactly what the manifest lists, ready to send."""
    rel = entry["path"]
    digest = hashlib.sha256()
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL) as copy:
        try:
            with (bundle_dir / rel).open("rb") as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    copy.write(chunk)
                    size += len(chunk)
        except FileNotFoundError as error:
            raise BundleChanged(rel, "left the bundle after its manifest was read") from error
        except OSError as error:
            raise SyncError(rel, error.strerror or str(error)) from error
        if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
            raise BundleChanged(rel, "changed in the bundle after its manifest was read")
        copy.seek(0)
        yield cast(BinaryIO, copy)


# --- directories and buckets --------------------------------------------------------------


class Store(Protocol):
    """A directory or a bucket: what ``_run_store`` needs of it."""

    delete_batch: int

    def prepare(self) -> None: ...
    def listing(self) -> dict[str, int]: ...  # path → size of every file it holds
    def manifest(self) -> bytes | None: ...  # its manifest.json, None when it has none
    def put(self, rel: str, body: BinaryIO | bytes) -> None: ...
    def delete(self, rels: list[str]) -> None: ...


def _differences(listing: Mapping[str, int], expected: Mapping[str, FileEntry]) -> list[str]:
    problems = [
        f"{rel}: missing" if rel not in listing else f"{rel}: size differs"
        for rel, entry in sorted(expected.items())
        if listing.get(rel) != entry["size"]
    ]
    problems += [
        f"{rel}: not in the manifest"
        for rel in sorted(listing.keys() - expected.keys() - set(LAST))
    ]
    return problems


def _plan(store: Store, job: Job) -> None:
    expected = job.snapshot.entries
    store.prepare()
    listing = store.listing()
    old: dict[str, tuple[int, str]] | None = None
    if not job.full:
        data = store.manifest()
        parsed = read_manifest(data)[0] if data is not None else None
        if parsed is None:
            job.full = True  # what the target holds cannot be known: send everything
        else:
            old = {entry["path"]: (entry["size"], entry["sha256"]) for entry in parsed["files"]}
    if old is None:
        upload = sorted(expected)
    else:
        upload = [
            rel
            for rel, entry in sorted(expected.items())
            if listing.get(rel) != entry["size"] or old.get(rel) != (entry["size"], entry["sha256"])
        ]
    stale = listing.keys() - expected.keys() - {MANIFEST}
    if job.snapshot.signature is not None:
        stale.discard(SIGNATURE)
    job.upload, job.delete = deque(upload), deque(sorted(stale))
    job.planned = True


def _run_store(store: Store, job: Job) -> None:
    """Bring a directory or bucket to the job's manifest: content, deletions, a listing
    compared with the manifest, then the manifest and its signature."""
    if not job.planned:
        job.lease.check()
        _plan(store, job)
    entries = job.snapshot.entries
    while job.upload:
        job.lease.check()
        rel = job.upload[0]
        with _bundle_file(job.bundle_dir, entries[rel]) as body:
            store.put(rel, body)
        job.upload.popleft()
        job.sent += 1
    while job.delete:
        job.lease.check()
        batch = list(islice(job.delete, store.delete_batch))
        store.delete(batch)
        for _done in batch:
            job.delete.popleft()
        job.removed += len(batch)
    job.lease.check()
    problems = _differences(store.listing(), entries)
    if problems:
        job.planned = False  # the next attempt lists and compares again
        shown = "; ".join(problems[:PROBLEMS_SHOWN])
        more = (
            f" (and {len(problems) - PROBLEMS_SHOWN} more)"
            if len(problems) > PROBLEMS_SHOWN
            else ""
        )
        raise SyncError("", f"the target does not match the manifest: {shown}{more}")
    for rel, data in job.snapshot.last():
        job.lease.check()
        store.put(rel, data)
        job.sent += 1


# --- directory --------------------------------------------------------------------------


class DirectoryBackend:
    """Files under an absolute directory on this server, each written atomically.

    The directory must be samizdat's own, since a sync deletes whatever the manifest does not
    list: empty at the first sync, which marks it with ``MARKER``, or holding the marker.
    """

    delete_batch = 100

    def __init__(self, target: MirrorTarget) -> None:
        self.root = Path(os.path.realpath(target.path))

    def _destination(self, rel: str) -> Path:
        destination = self.root / rel
        # realpath follows any symlink already on the way: it must not lead elsewhere. The
        # file itself may be a symlink: os.replace and unlink act on the link, not what it
        # points to.
        parent = Path(os.path.realpath(destination.parent))
        if parent != self.root and self.root not in parent.parents:
            raise SyncError(rel, "leads outside the target directory")
        return destination

    def run(self, job: Job) -> None:
        _run_store(self, job)

    def prepare(self) -> None:
        """Mark an empty directory as samizdat's; refuse one that holds anything else."""
        if not self.root.is_dir():
            raise SyncError("", f"{self.root} is not a directory")
        marker = self.root / MARKER
        if os.path.lexists(marker):
            return
        try:
            with os.scandir(self.root) as entries:
                empty = next(entries, None) is None
        except OSError as error:
            raise SyncError("", f"{self.root} cannot be listed ({error.strerror})") from error
        if not empty:
            raise SyncError(
                "",
                f"{self.root} is not empty and was not made by samizdat: empty it or add "
                f"{MARKER} (every file in it that the bundle does not have would be deleted)",
                retry=False,
            )
        try:
            with marker.open("x", encoding="utf-8") as out:
                out.write(
                    "A copy of the samizdat bundle: every file here that the bundle does not "
                    "have is deleted at the next sync.\n"
                )
        except FileExistsError:
            pass  # made meanwhile by another sync into the same directory
        except OSError as error:
            raise SyncError(MARKER, error.strerror or str(error)) from error

    def manifest(self) -> bytes | None:
        try:
            return (self.root / MANIFEST).read_bytes()
        except OSError:
            return None

    def put(self, rel: str, body: BinaryIO | bytes) -> None:
        try:
            write_atomic(self._destination(rel), body)  # readable by the web server
        except OSError as error:
            raise SyncError(rel, error.strerror or str(error)) from error

    def delete(self, rels: list[str]) -> None:
        for rel in rels:
            if rel == MARKER:
                continue
            destination = self._destination(rel)
            try:
                destination.unlink(missing_ok=True)
            except OSError as error:
                raise SyncError(rel, error.strerror or str(error)) from error
            self._prune(destination.parent)

    def listing(self) -> dict[str, int]:
        """Every file (or symlink: size -1, never a match) under the root by POSIX path, with
        its size; empty directories pruned."""
        found: dict[str, int] = {}
        try:
            for directory, dirnames, filenames in os.walk(self.root, topdown=False, onerror=_raise):
                here = Path(directory)
                rel = here.relative_to(self.root)
                for name in filenames:
                    if here == self.root and name == MARKER:
                        continue
                    info = (here / name).lstat()
                    found[(rel / name).as_posix()] = (
                        -1 if os.path.islink(here / name) else info.st_size
                    )
                for name in dirnames:
                    if (here / name).is_symlink():
                        found[(rel / name).as_posix()] = -1
                if here != self.root:
                    with suppress(OSError):
                        here.rmdir()  # only if empty
        except OSError as error:
            raise SyncError("", f"{self.root} cannot be listed ({error.strerror})") from error
        return found

    def _prune(self, directory: Path) -> None:
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


def _raise(error: OSError) -> None:
    raise error


# --- S3 ---------------------------------------------------------------------------------


def content_type(rel: str) -> str:
    """The Content-Type a bucket should serve a bundle file with."""
    path = PurePosixPath(rel)
    parts = path.parts
    if path.name == "index.xml" and len(parts) >= 3 and parts[-3] == "feed":
        feed = FEED_TYPES.get(parts[-2])
        if feed:
            return feed
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _encoding = mimetypes.guess_type(path.name, strict=False)
    return guessed or "application/octet-stream"


def cache_control(rel: str) -> str:
    """How long readers' browsers and caches may keep a file."""
    # Images never change under the same name, and pages link to assets with ?v=<hash>.
    # Documents may be replaced or taken down under the same name: kept as briefly as pages.
    if rel.startswith(("static/", "media/")) and not rel.startswith("media/documents/"):
        return YEAR
    return FIVE_MINUTES


def _s3_reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        details = response.get("Error", {})
        code, message = details.get("Code", ""), details.get("Message", "")
        if code:
            return f"{code}: {message}" if message else str(code)
    return str(error) or type(error).__name__


class S3Objects:
    """Files as objects of a bucket under a prefix, with the Content-Type and Cache-Control a
    mirror serves them with: a mirror target's bucket and the bundle bucket."""

    client: Any
    bucket: str
    prefix: str

    def get(self, rel: str) -> bytes | None:
        """The object's bytes; None when there is none."""
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + rel)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                return None
            raise
        return bytes(answer["Body"].read())

    def put(self, rel: str, body: BinaryIO | bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + rel,
            Body=body,
            ContentType=content_type(rel),
            CacheControl=cache_control(rel),
        )

    def delete_objects(self, rels: Sequence[str]) -> tuple[str, str] | None:
        """Delete these objects (at most ``S3_DELETE_BATCH``); the first one that could not
        be, with the store's reason, or None."""
        answer = self.client.delete_objects(
            Bucket=self.bucket,
            Delete={"Objects": [{"Key": self.prefix + rel} for rel in rels], "Quiet": True},
        )
        errors = answer.get("Errors") or []
        if not errors:
            return None
        first = errors[0]
        rel = str(first.get("Key", ""))[len(self.prefix) :]
        return rel, f"{first.get('Code', '')}: {first.get('Message', '')}"

    def listing(self) -> dict[str, int]:
        """Every object under the prefix, with its size."""
        found: dict[str, int] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        ):
            for item in page.get("Contents", []):
                found[item["Key"][len(self.prefix) :]] = int(item["Size"])
        return found


class S3Backend(S3Objects):
    """Objects in a bucket (Amazon S3 or any S3-compatible service) under a prefix."""

    delete_batch = S3_DELETE_BATCH

    def __init__(self, target: MirrorTarget) -> None:
        self.target = target
        self.client: Any = None
        self.bucket = target.bucket
        self.prefix = f"{target.prefix.strip('/')}/" if target.prefix.strip("/") else ""

    def _client(self) -> Any:
        import boto3  # only here: importing it costs every other process a third of a second
        from botocore.config import Config

        target = self.target
        config = Config(
            connect_timeout=S3_TIMEOUT,
            read_timeout=S3_TIMEOUT,
            retries={"total_max_attempts": 1, "mode": "standard"},  # sync_targets retries
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=target.endpoint_url or None,
            region_name=target.region or None,
            aws_access_key_id=target.access_key_id or None,
            aws_secret_access_key=target.secret_access_key or None,
            config=config,
        )

    def run(self, job: Job) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        self.client = self._client()
        try:
            _run_store(self, job)
        except (BotoCoreError, ClientError) as error:
            path = job.upload[0] if job.upload else ""
            raise SyncError(path, _s3_reason(error)) from error

    def prepare(self) -> None:
        """A bucket is the mirror's own under its prefix. Its files are public: readers'
        browsers may read them from pages elsewhere (a service worker failing over), which
        takes CORS. Keys that may not set it are not an error: ``mirror check`` says so."""
        from botocore.exceptions import ClientError

        try:
            self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration=BUCKET_CORS)
        except ClientError as error:
            logger.warning("mirror target %s: CORS not set (%s)", self.target, _s3_reason(error))

    def manifest(self) -> bytes | None:
        return self.get(MANIFEST)

    def delete(self, rels: list[str]) -> None:
        failed = self.delete_objects(rels)
        if failed:
            raise SyncError(*failed)


# --- command ----------------------------------------------------------------------------


# What a command inherits from the server's environment: never the secret key, payment keys
# or the database address. rsync and ssh need an agent; rclone and the AWS CLI their config.
COMMAND_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSH_AUTH_SOCK")
COMMAND_ENV_PREFIXES = ("AWS_", "RCLONE_")


def command_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The part of ``environ`` a mirror target's command gets."""
    return {
        name: value
        for name, value in environ.items()
        if name in COMMAND_ENV or name.startswith(COMMAND_ENV_PREFIXES)
    }


class CommandBackend:
    """A program of the newsroom's choosing (rsync, rclone, a script), run without a shell."""

    def __init__(self, target: MirrorTarget) -> None:
        self.args = shlex.split(target.command)
        self.timeout = target.timeout

    def run(self, job: Job) -> None:
        if not job.planned:
            _plan_command(job)
        job.lease.check()
        with tempfile.TemporaryDirectory(prefix="samizdat-sync-") as scratch:
            changed, removed = Path(scratch, "changed"), Path(scratch, "removed")
            changed.write_text("".join(f"{rel}\n" for rel in job.upload), encoding="utf-8")
            removed.write_text("".join(f"{rel}\n" for rel in job.delete), encoding="utf-8")
            env = {
                **command_environment(os.environ),
                "SAMIZDAT_BUNDLE_DIR": str(job.bundle_dir),
                "SAMIZDAT_CHANGED_FILES": str(changed),
                "SAMIZDAT_REMOVED_FILES": str(removed),
                "SAMIZDAT_FULL_SYNC": "1" if job.full else "0",
            }
            with Path(scratch, "stderr").open("w+b") as stderr:
                code = self._call(env, stderr, cwd=job.bundle_dir)
                stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - STDERR_TAIL))
                tail = stderr.read().decode("utf-8", "replace").strip()
        if code is None:
            raise SyncError("", _with_tail(f"timed out after {self.timeout} s", tail))
        if code != 0:
            raise SyncError("", _with_tail(f"exited with status {code}", tail))
        if _read(job.bundle_dir / MANIFEST) != job.snapshot.manifest:
            job.full = True  # what the command copied is unknown: all of it again
            raise BundleChanged("", "the bundle changed while the command ran")
        job.sent, job.removed = len(job.upload), len(job.delete)
        job.upload.clear()
        job.delete.clear()

    def _call(self, env: dict[str, str], stderr: Any, *, cwd: Path) -> int | None:
        """The exit status, or None after killing the command (and its children) at timeout."""
        try:
            process = subprocess.Popen(
                self.args,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        except OSError as error:
            raise SyncError("", f"cannot run {self.args[0]}: {error.strerror}") from error
        try:
            return process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None


def _plan_command(job: Job) -> None:
    """Every file of the manifest for a full sync; else the changes the build reported."""
    if job.full:
        paths = [*job.snapshot.entries, *(rel for rel, _data in job.snapshot.last())]
        job.upload = deque(_ordered(paths))
        job.delete = deque(sorted(set(job.delete) - set(job.upload)))
    job.planned = True


def _with_tail(message: str, tail: str) -> str:
    return f"{message}:\n{tail}" if tail else message


# --- running ----------------------------------------------------------------------------

BACKENDS: dict[str, type[DirectoryBackend] | type[S3Backend] | type[CommandBackend]] = {
    MirrorTarget.Kind.DIRECTORY: DirectoryBackend,
    MirrorTarget.Kind.S3: S3Backend,
    MirrorTarget.Kind.COMMAND: CommandBackend,
}


def _summary(job: Job) -> str:
    kind = "full sync" if job.full else "sync"
    return f"{kind}: {job.sent} file(s) sent, {job.removed} removed"


def _sync_one(
    target: MirrorTarget,
    full: bool,
    bundle_dir: Path,
    changed: list[str],
    removed: list[str],
    retry_delays: Sequence[float],
    lease: Lease,
) -> TargetResult:
    """Sync one target, retrying; never raises. Runs in a thread: no database here."""
    errors: list[str] = []
    job: Job | None = None
    attempts = 0
    for delay in (0.0, *retry_delays):
        if delay:
            time.sleep(delay)
        attempts += 1
        try:
            if job is None:
                job = Job(bundle_dir, snapshot(bundle_dir), full, lease)
                if target.kind == MirrorTarget.Kind.COMMAND:
                    job.upload = deque(_ordered(changed))
                    job.delete = deque(sorted(set(removed) - set(changed)))
            BACKENDS[target.kind](target).run(job)
        except BundleChanged as error:
            # Start again from the newest manifest: never announce one the target lacks.
            errors.append(f"attempt {attempts}: {error}")
            full = full or (job is not None and job.full)
            job = None
        except SyncError as error:
            errors.append(f"attempt {attempts}: {error}")
            if not error.retry:
                break
        except Exception as error:  # a target's failure must never stop the others
            logger.exception("mirror target %s: unexpected error", target.name)
            errors.append(f"attempt {attempts}: {type(error).__name__}: {error}")
        else:
            return TargetResult(
                target.pk, target.name, True, job.full, job.sent, job.removed, attempts,
                _summary(job),
            )  # fmt: skip
        if attempts <= len(retry_delays):
            logger.warning("mirror target %s: %s; trying again", target.name, errors[-1])
    lines = [f"failed after {attempts} attempt(s)"]
    if job is not None and job.planned:
        lines.append(
            f"{_summary(job)}; {len(job.upload)} file(s) not sent, "
            f"{len(job.delete)} not removed yet"
        )
    lines += errors
    report = "\n".join(lines)
    logger.error("mirror target %s failed: %s", target.name, errors[-1])
    return TargetResult(
        target.pk, target.name, False, job.full if job else full,
        job.sent if job else 0, job.removed if job else 0, attempts, report,
    )  # fmt: skip


def _bounded(report: str) -> str:
    if len(report) <= REPORT_LIMIT:
        return report
    return report[: REPORT_LIMIT - 2] + " …"


# --- claims -------------------------------------------------------------------------------


def claimant() -> str:
    """Who claims: this machine and process, and a token of this sync's own."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def _until(lease: float) -> Any:
    return Now() + timedelta(seconds=lease)


def _claim(pk: int, token: str, lease: float) -> bool | Literal["held", "gone"]:
    """Claim the target for ``lease`` seconds (by the database's clock): whether it must get
    every file (asked for, or taken over from a claimer that stopped renewing: what that one
    did is unknown); "held" when another process holds it, which is then asked to run again;
    "gone" when it was deleted or switched off meanwhile."""
    targets = MirrorTarget.objects.filter(pk=pk, enabled=True)
    while True:
        if targets.filter(claimed_until__isnull=True).update(
            claimed_by=token, claimed_until=_until(lease), sync_pending=False
        ):
            return _take_full(pk, token)
        if targets.filter(claimed_until__lt=Now()).update(
            claimed_by=token, claimed_until=_until(lease), sync_pending=False
        ):
            logger.warning("mirror target %s: took over a lapsed claim", pk)
            _take_full(pk, token)
            return True
        # One statement, so the claimer's release (which requires no pending run) cannot
        # slip between a failed claim and the request.
        if targets.filter(claimed_until__gte=Now()).update(sync_pending=True):
            return "held"
        if not targets.exists():
            return "gone"


def _take_full(pk: int, token: str) -> bool:
    """Whether a full sync was asked for, clearing the request (a failure sets it again)."""
    return bool(
        MirrorTarget.objects.filter(pk=pk, claimed_by=token, needs_full_sync=True).update(
            needs_full_sync=False
        )
    )


def _renew(pk: int, token: str, lease: float) -> bool:
    return bool(
        MirrorTarget.objects.filter(pk=pk, claimed_by=token).update(claimed_until=_until(lease))
    )


Release = Literal["released", "again", "lost"]


def _release(pk: int, token: str, lease: float, *, keep_pending: bool = False) -> Release:
    """Let go of the target, unless another sync asked for a run meanwhile: then "again",
    with the claim renewed and the request taken."""
    mine = MirrorTarget.objects.filter(pk=pk, claimed_by=token)
    free = {"claimed_by": "", "claimed_until": None}
    if keep_pending:
        return "released" if mine.update(**free) else "lost"
    if mine.filter(sync_pending=False).update(**free):
        return "released"
    if mine.update(sync_pending=False, claimed_until=_until(lease)):
        return "again"
    return "lost"


def _record(result: TargetResult, token: str, when: datetime | None) -> bool:
    """Store a sync's outcome on its target while this process still holds it."""
    fields: dict[str, Any] = {
        "last_synced_at": when or Now(),
        "last_status": MirrorTarget.Status.OK if result.ok else MirrorTarget.Status.FAILED,
        "last_report": _bounded(result.report),
    }
    if not result.ok:
        fields["needs_full_sync"] = True
    # An update, not save(): an edit made in the admin meanwhile is kept.
    stored = bool(
        MirrorTarget.objects.filter(pk=result.target_id, claimed_by=token).update(**fields)
    )
    if stored and result.ok:
        logger.info("mirror target %s: %s", result.name, result.report)
    return stored


def _deferred(pk: int) -> TargetResult:
    name = MirrorTarget.objects.filter(pk=pk).values_list("name", flat=True).first() or str(pk)
    report = "another process is syncing this target; it sends the newest bundle next"
    logger.info("mirror target %s: %s", name, report)
    return TargetResult(pk, name, True, False, 0, 0, 0, report, deferred=True)


def sync_pending(bundle_dir: Path, **options: Any) -> list[TargetResult]:
    """Sync the targets a sync asked to run again whose claimer is gone (its claim lapsed):
    what a periodic job calls, so that a crashed claimer's targets catch up without waiting
    for the next build."""
    return sync_targets(bundle_dir, changed=[], removed=[], pending_only=True, **options)


def sync_targets(
    bundle_dir: Path,
    *,
    changed: Sequence[str],
    removed: Sequence[str],
    now: datetime | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    lease: float | None = None,
    pending_only: bool = False,
) -> list[TargetResult]:
    """Bring every enabled target to the bundle's manifest (a command gets ``changed`` and
    ``removed``, or everything); never raises for a target's failure. A target another process
    is syncing is left to it (its result is ``deferred``); one that others asked to sync again
    while this process held it is synced again before it is let go. ``pending_only``: only
    the targets asked to run again and claimed by nobody now."""
    enabled = MirrorTarget.objects.filter(enabled=True)
    if pending_only:
        enabled = enabled.filter(sync_pending=True).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=Now())
        )
    pks = list(enabled.values_list("pk", flat=True))
    if not pks:
        return []
    seconds = float(settings.MIRROR_SYNC_LEASE if lease is None else lease)
    bundle_dir = Path(bundle_dir)
    changed_paths, removed_paths = _checked(changed), _checked(removed)
    token = claimant()
    results: dict[int, TargetResult] = {}
    running: dict[Future[TargetResult], tuple[int, Lease, int]] = {}

    with ThreadPoolExecutor(max_workers=min(THREADS, len(pks))) as pool:

        def start(pk: int, run: int, full: bool | None) -> None:
            held = Lease(seconds)  # its deadline is taken before the claim is sent
            if full is None:
                claimed = _claim(pk, token, seconds)
                if claimed == "held":
                    results[pk] = _deferred(pk)
                if not isinstance(claimed, bool):
                    return
                full = claimed
            else:
                full = full or _take_full(pk, token)
            target = MirrorTarget.objects.filter(pk=pk).first()
            if target is None:
                return  # deleted meanwhile
            # A run asked for by another sync cannot know what that one's build changed: a
            # command gets everything; a directory or bucket is compared with the manifest.
            full = full or (run > 0 and target.kind == MirrorTarget.Kind.COMMAND)
            args = (changed_paths, removed_paths) if run == 0 else ([], [])
            future = pool.submit(_sync_one, target, full, bundle_dir, *args, retry_delays, held)
            running[future] = (pk, held, run)

        try:
            for pk in pks:
                start(pk, 0, None)
            while running:
                done, _pending = wait(running, timeout=seconds / 3, return_when=FIRST_COMPLETED)
                for future, (pk, held, _run) in running.items():
                    if future not in done:
                        asked_at = time.monotonic()
                        if _renew(pk, token, seconds):
                            held.renewed(asked_at)
                        else:
                            held.lost = True
                for future in done:
                    pk, held, run = running.pop(future)
                    result = results[pk] = future.result()
                    if not _record(result, token, now):
                        logger.warning("mirror target %s: the claim was lost", result.name)
                        continue
                    again = run + 1 < RERUNS
                    outcome = _release(pk, token, seconds, keep_pending=not again)
                    if outcome == "again":
                        logger.info("mirror target %s: asked again meanwhile", result.name)
                        start(pk, run + 1, False)
        finally:
            for pk, held, _run in running.values():  # only after an unexpected error
                held.lost = True  # its thread stops before its next step
                _release(pk, token, seconds, keep_pending=True)
    return [results[pk] for pk in pks if pk in results]
