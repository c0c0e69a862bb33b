"""Copying the bundle to every enabled mirror target after a build.

Each target gets the files that changed (every file of the manifest when it needs a full
sync), content first, then ``manifest.json`` and its signature, then the deletions, so a
mirror never announces a file it does not have yet. A target is tried up to three times,
resuming where the last attempt stopped; one that still fails is marked failed with a
report and gets every file next time. Targets run side by side in a few threads, so one
that hangs until its timeout does not hold up the others; only the calling thread touches
the database.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import shlex
import signal
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from django.utils import timezone

from samizdat.core.files import write_atomic
from samizdat.mirrors.manifest import MANIFEST, MARKER, SIGNATURE, _safe_path, read_manifest
from samizdat.mirrors.models import MirrorTarget

logger = logging.getLogger(__name__)

RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0)  # seconds before the second and third attempt
THREADS = 4
REPORT_LIMIT = 4000  # characters of a target's last report
STDERR_TAIL = 2000  # characters of a failed command's standard error kept in the report
S3_TIMEOUT = 10  # seconds to connect and for each read
S3_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes
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
    """What one sync did to one target."""

    target_id: int
    name: str
    ok: bool
    full: bool  # every file of the manifest was sent
    sent: int
    removed: int
    attempts: int
    report: str


class SyncError(Exception):
    """A target refused or could not take a file; ``path`` is the file ("" for the target).

    ``retry`` is False when trying again cannot help until someone acts.
    """

    def __init__(self, path: str, reason: str, *, retry: bool = True) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.path = path
        self.retry = retry


@dataclass
class Job:
    """What is left to do for one target; backends take items off as they finish them."""

    bundle_dir: Path
    full: bool
    upload: deque[str]  # in order: content, then manifest.json and its signature
    delete: deque[str]  # a full sync of a directory or bucket lists it after the uploads
    sent: int = 0
    removed: int = 0
    listed: bool = False  # a full sync has listed the target's stray files
    keep: frozenset[str] = field(default_factory=frozenset)


class Backend(Protocol):
    def run(self, job: Job) -> None: ...


# --- planning ---------------------------------------------------------------------------


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


def _full_upload(bundle_dir: Path) -> list[str]:
    """Every file of the bundle's manifest, the manifest and its signature (when present)."""
    try:
        data = (bundle_dir / MANIFEST).read_bytes()
    except OSError as error:
        raise SyncError(MANIFEST, f"cannot be read from the bundle ({error.strerror})") from error
    manifest, problems = read_manifest(data)
    if manifest is None:
        raise SyncError("", "; ".join(problems))
    paths = [entry["path"] for entry in manifest["files"]] + [MANIFEST]
    if (bundle_dir / SIGNATURE).is_file():
        paths.append(SIGNATURE)
    return _ordered(paths)


def _job(target: MirrorTarget, bundle_dir: Path, changed: list[str], removed: list[str]) -> Job:
    if target.needs_full_sync:
        upload = _full_upload(bundle_dir)
        # Directories and buckets replace ``delete`` with what they hold beyond the manifest;
        # a command gets this build's removals and SAMIZDAT_FULL_SYNC=1.
        keep = frozenset(upload)
        delete = sorted(set(removed) - keep)
        return Job(bundle_dir, True, deque(upload), deque(delete), keep=keep)
    upload = _ordered(changed)
    return Job(bundle_dir, False, deque(upload), deque(sorted(set(removed) - set(upload))))


# --- directory --------------------------------------------------------------------------


class DirectoryBackend:
    """Files under an absolute directory on this server, each written atomically.

    The directory must be samizdat's own, since a full sync deletes whatever the manifest does
    not list: empty at the first sync, which marks it with ``MARKER``, or holding the marker.
    """

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
        if not self.root.is_dir():
            raise SyncError("", f"{self.root} is not a directory")
        self._claim()
        while job.upload:
            rel = job.upload[0]
            try:
                self._copy(job.bundle_dir / rel, self._destination(rel))
            except OSError as error:
                raise SyncError(rel, error.strerror or str(error)) from error
            job.upload.popleft()
            job.sent += 1
        if job.full and not job.listed:
            job.delete = deque(sorted(self._listing() - job.keep))
            job.listed = True
        while job.delete:
            rel = job.delete[0]
            if rel == MARKER:
                job.delete.popleft()
                continue
            destination = self._destination(rel)
            try:
                destination.unlink(missing_ok=True)
            except OSError as error:
                raise SyncError(rel, error.strerror or str(error)) from error
            self._prune(destination.parent)
            job.delete.popleft()
            job.removed += 1

    def _claim(self) -> None:
        """Mark an empty directory as samizdat's; refuse one that holds anything else."""
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
                    "have is deleted at the next full sync.\n"
                )
        except FileExistsError:
            pass  # made meanwhile by another sync into the same directory
        except OSError as error:
            raise SyncError(MARKER, error.strerror or str(error)) from error

    def _copy(self, source: Path, destination: Path) -> None:
        with source.open("rb") as src:
            write_atomic(destination, src)  # readable by the web server that serves the copy

    def _listing(self) -> set[str]:
        """Every file (or symlink) under the root, as POSIX paths; empty directories pruned."""
        found = set()
        for directory, dirnames, filenames in os.walk(self.root, topdown=False):
            here = Path(directory)
            rel = here.relative_to(self.root)
            for name in filenames:
                if here == self.root and name == MARKER:
                    continue
                found.add((rel / name).as_posix())
            for name in dirnames:
                if (here / name).is_symlink():
                    found.add((rel / name).as_posix())
            if here != self.root:
                with suppress(OSError):
                    here.rmdir()  # only if empty
        return found

    def _prune(self, directory: Path) -> None:
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


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


class S3Backend:
    """Objects in a bucket (Amazon S3 or any S3-compatible service) under a prefix."""

    def __init__(self, target: MirrorTarget) -> None:
        self.target = target
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

        try:
            self._run(self._client(), job)
        except (BotoCoreError, ClientError) as error:
            path = job.upload[0] if job.upload else ""
            raise SyncError(path, _s3_reason(error)) from error

    def _run(self, client: Any, job: Job) -> None:
        while job.upload:
            rel = job.upload[0]
            try:
                with (job.bundle_dir / rel).open("rb") as body:
                    client.put_object(
                        Bucket=self.bucket,
                        Key=self.prefix + rel,
                        Body=body,
                        ContentType=content_type(rel),
                        CacheControl=cache_control(rel),
                    )
            except OSError as error:
                raise SyncError(rel, error.strerror or str(error)) from error
            job.upload.popleft()
            job.sent += 1
        if job.full and not job.listed:
            job.delete = deque(sorted(self._listing(client) - job.keep))
            job.listed = True
        while job.delete:
            batch = list(islice(job.delete, S3_DELETE_BATCH))
            answer = client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": self.prefix + rel} for rel in batch], "Quiet": True},
            )
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                rel = str(first.get("Key", ""))[len(self.prefix) :]
                raise SyncError(rel, f"{first.get('Code', '')}: {first.get('Message', '')}")
            for _done in batch:
                job.delete.popleft()
            job.removed += len(batch)

    def _listing(self, client: Any) -> set[str]:
        found = set()
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        ):
            for item in page.get("Contents", []):
                found.add(item["Key"][len(self.prefix) :])
        return found


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
    bundle_dir: Path,
    changed: list[str],
    removed: list[str],
    retry_delays: Sequence[float],
) -> TargetResult:
    """Sync one target, retrying; never raises."""
    full = target.needs_full_sync
    errors: list[str] = []
    job: Job | None = None
    attempts = 0
    for delay in (0.0, *retry_delays):
        if delay:
            time.sleep(delay)
        attempts += 1
        try:
            if job is None:
                job = _job(target, bundle_dir, changed, removed)
            BACKENDS[target.kind](target).run(job)
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
    if job is not None:
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


def sync_targets(
    bundle_dir: Path,
    *,
    changed: Sequence[str],
    removed: Sequence[str],
    now: datetime | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
) -> list[TargetResult]:
    """Copy changed files to every enabled target and delete removed ones; never raises for
    a target's failure."""
    targets = list(MirrorTarget.objects.filter(enabled=True))
    if not targets:
        return []
    bundle_dir = Path(bundle_dir)
    changed_paths, removed_paths = _checked(changed), _checked(removed)
    with ThreadPoolExecutor(max_workers=min(THREADS, len(targets))) as pool:
        futures = [
            pool.submit(_sync_one, t, bundle_dir, changed_paths, removed_paths, retry_delays)
            for t in targets
        ]
        results = [future.result() for future in futures]
    when = now or timezone.now()
    for result in results:
        fields: dict[str, Any] = {
            "last_synced_at": when,
            "last_status": MirrorTarget.Status.OK if result.ok else MirrorTarget.Status.FAILED,
            "last_report": _bounded(result.report),
        }
        # Only a failure sets the flag and only a full sync clears it, so a flag set in the
        # admin meanwhile (a new directory or bucket) survives an incremental sync.
        if not result.ok or result.full:
            fields["needs_full_sync"] = not result.ok
        # An update, not save(): an edit made in the admin meanwhile is kept.
        MirrorTarget.objects.filter(pk=result.target_id).update(**fields)
        if result.ok:
            logger.info("mirror target %s: %s", result.name, result.report)
    return results
