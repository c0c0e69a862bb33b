"""Mirror targets synced by several processes at once, as the workers of several machines do:
``samizdat mirror sync`` as real processes against one PostgreSQL database, the same bucket
(moto's S3 server) and the same directory. One process at a time syncs a target; another one
leaves it to the claimer, which runs again with the newest bundle; a killed claimer's claim is
taken over once its lease has run out. In the end every target holds exactly the manifest's
files, ``samizdat mirror verify`` passes on it, and its status says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db.models.functions import Now
from django.utils import timezone
from pytest_django import DjangoDbBlocker

from samizdat.mirrors import manifest
from samizdat.mirrors.manifest import MANIFEST, MARKER, SIGNATURE
from samizdat.mirrors.models import MirrorTarget
from samizdat.mirrors.targets import sync_pending, sync_targets
from tests.databases import create_postgres, drop_postgres
from tests.mirrors.s3_server import KEY_ID, REGION, SECRET, S3Server, s3_server

REPO = Path(__file__).resolve().parents[2]
ADMIN_URL = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
PAGES = 300  # enough that a sync takes a while

needs_postgres = pytest.mark.skipif(
    not ADMIN_URL,
    reason="needs PostgreSQL, shared by the processes as by several machines: "
    "set SAMIZDAT_TEST_DATABASE_URL",
)

TARGETS = """
from samizdat.mirrors.models import MirrorTarget
MirrorTarget.objects.create(name="dir copy", kind="directory", path={copy!r})
MirrorTarget.objects.create(
    name="bucket lantern", kind="s3", bucket="lantern", endpoint_url={url!r},
    region={region!r}, access_key_id={key_id!r}, secret_access_key={secret!r},
)
"""


def samizdat_command() -> list[str]:
    script = Path(sys.executable).with_name("samizdat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "samizdat.cli"]


class Site:
    """A PostgreSQL database, a bundle signed with the newsroom's key, a bucket and a
    directory as mirror targets; ``samizdat`` processes that share them."""

    def __init__(self, root: Path, database_url: str, s3: S3Server) -> None:
        self.root = root
        self.url = database_url
        self.s3 = s3
        self.bundle = root / "bundle"
        self.copy = root / "copy"
        self.copy.mkdir()
        self.private_key, self.public_key = manifest.generate_key()
        (root / "signing.pem").write_bytes(self.private_key)
        (root / "public.pem").write_bytes(self.public_key)
        self.version = 0
        self.build()
        s3.client().create_bucket(Bucket="lantern")
        self.run(
            "shell",
            "-c",
            TARGETS.format(
                copy=str(self.copy), url=s3.url, region=REGION, key_id=KEY_ID, secret=SECRET
            ),
        )

    def env(self, lease: float) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SAMIZDAT_") and key != "DJANGO_SETTINGS_MODULE"
        }
        env.update(
            PYTHONPATH=str(REPO),
            SAMIZDAT_DEBUG="1",
            SAMIZDAT_SECRET_KEY="claims-test-" + "k" * 50,
            SAMIZDAT_DATA_KEY=settings.DATA_KEY,
            SAMIZDAT_LOOKUP_KEY=settings.LOOKUP_KEY,
            SAMIZDAT_DATA_DIR=str(self.root / "data"),
            SAMIZDAT_DATABASE_URL=self.url,
            SAMIZDAT_BUNDLE_DIR=str(self.bundle),
            SAMIZDAT_BUNDLE_SIGNING_KEY=str(self.root / "signing.pem"),
            SAMIZDAT_MIRROR_SYNC_LEASE=str(lease),
            SAMIZDAT_LOG_LEVEL="ERROR",
        )
        return env

    def popen(self, *args: str, lease: float = 30) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*samizdat_command(), *args],
            cwd=REPO,
            env=self.env(lease),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, lease: float = 30) -> str:
        process = self.popen(*args, lease=lease)
        return finish(process)

    def build(self) -> None:
        """Change the bundle as a build does: some pages rewritten, some gone, some new; the
        manifest written and signed last."""
        self.version += 1
        v = self.version
        pages = range(PAGES) if v == 1 else range(v * 40, PAGES + v * 40)
        for number in pages:
            path = self.bundle / "en" / "news" / f"story-{number}" / "index.html"
            if v == 1 or number % 7 == 0 or not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"<!doctype html><title>Story {number}, v{v}</title>" * 40)
        for number in range((v - 1) * 40, v * 40 if v > 1 else 0):
            (self.bundle / "en" / "news" / f"story-{number}" / "index.html").unlink()
        (self.bundle / "en" / "index.html").write_text(f"<!doctype html><title>Front v{v}</title>")
        manifest.write_manifest(self.bundle, private_key_pem=self.private_key)

    def rows(self) -> dict[str, dict[str, Any]]:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.url, row_factory=dict_row) as db:
            found = db.execute(
                "SELECT name, last_status, last_report, needs_full_sync, claimed_by, "
                "claimed_until, sync_pending, claimed_until < now() AS lapsed, "
                "EXTRACT(EPOCH FROM claimed_until - now()) AS remaining "
                "FROM mirrors_mirrortarget"
            ).fetchall()
        return {row["name"]: row for row in found}

    def sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url) as db:
            db.execute(statement)

    def wait_for_claims(self, process: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            rows = self.rows()
            if all(row["claimed_by"] for row in rows.values()):
                return
            if process.poll() is not None:
                pytest.fail(f"the sync ended before it claimed: {process.communicate()[1]}")
            time.sleep(0.02)
        process.kill()
        pytest.fail("the sync never claimed its targets")

    def bucket_copy(self) -> Path:
        """The bucket's objects as a directory, for ``samizdat mirror verify``."""
        out = self.root / f"bucket-{uuid.uuid4().hex[:6]}"
        client = self.s3.client()
        for key in self.s3.keys("lantern"):
            (out / key).parent.mkdir(parents=True, exist_ok=True)
            (out / key).write_bytes(client.get_object(Bucket="lantern", Key=key)["Body"].read())
        return out

    def assert_targets_hold_the_bundle(self) -> None:
        bundle_files = files_of(self.bundle)
        copied = files_of(self.copy)
        assert copied.pop(MARKER)
        assert copied == bundle_files
        bucket = self.bucket_copy()
        assert files_of(bucket) == bundle_files
        for place in (self.copy, bucket):
            key = str(self.root / "public.pem")
            verified = self.run("mirror", "verify", str(place), "--public-key", key)
            assert "signature and every file matches the manifest" in verified
        for name, row in self.rows().items():
            assert row["last_status"] == "ok", (name, row["last_report"])
            assert not row["needs_full_sync"] and not row["sync_pending"], name
            assert row["claimed_by"] == "" and row["claimed_until"] is None, name


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def finish(process: subprocess.Popen[str], timeout: float = 180) -> str:
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"{stdout[-2000:]}\n{stderr[-3000:]}"
    return stdout


@pytest.fixture
def site(
    tmp_path: Path, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[Site]:
    base = urlsplit(ADMIN_URL).path.lstrip("/") or "samizdat"
    name = f"{base}_claims_{uuid.uuid4().hex[:8]}"[:63]
    url = create_postgres(ADMIN_URL, name, django_db_blocker)
    try:
        with s3_server() as s3:
            yield Site(tmp_path, url, s3)
    finally:
        drop_postgres(ADMIN_URL, name)


@needs_postgres
def test_a_sync_that_finds_targets_claimed_leaves_them_to_the_claimer_which_sends_the_newest(
    site: Site,
) -> None:
    first = site.popen("mirror", "sync")
    site.wait_for_claims(first)
    os.kill(first.pid, signal.SIGSTOP)  # held up mid-sync, like a slow link
    try:
        site.build()  # meanwhile a build changes the bundle and syncs
        second = site.run("mirror", "sync")
        assert "dir copy: deferred" in second and "bucket lantern: deferred" in second
        rows = site.rows()
        assert all(row["sync_pending"] for row in rows.values())
        # The second sync wrote nothing: the first one's claim stands.
        assert all(row["last_status"] == "never" for row in rows.values())
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out = finish(first)

    assert "dir copy: ok" in out and "bucket lantern: ok" in out
    assert (site.copy / MANIFEST).read_bytes() == (site.bundle / MANIFEST).read_bytes()
    site.assert_targets_hold_the_bundle()


@needs_postgres
def test_two_syncs_started_together_leave_every_target_equal_to_the_manifest(
    site: Site,
) -> None:
    site.run("mirror", "sync")
    site.build()
    processes = [site.popen("mirror", "sync") for _ in range(2)]
    outputs = [finish(process) for process in processes]

    for target in ("dir copy", "bucket lantern"):
        lines = [line for out in outputs for line in out.splitlines() if line.startswith(target)]
        assert len(lines) == 2 and not any("FAILED" in line for line in lines), lines
    site.assert_targets_hold_the_bundle()


@needs_postgres
def test_a_killed_claimers_targets_are_taken_over_once_its_lease_runs_out(site: Site) -> None:
    claimer = site.popen("mirror", "sync", lease=60)
    site.wait_for_claims(claimer)
    claimer.send_signal(signal.SIGKILL)
    claimer.wait(timeout=10)

    # Within the lease, the claim of the dead process still stands: nothing is written.
    # Its claims hold for the lease it was given (a minute), by the database's clock.
    assert all(30 < row["remaining"] <= 60 for row in site.rows().values())
    waiting = site.run("mirror", "sync")
    assert "dir copy: deferred" in waiting and "bucket lantern: deferred" in waiting
    assert all(row["last_status"] == "never" for row in site.rows().values())

    # The lease runs out (by the database's clock, as the claims are compared), rather
    # than waiting a minute for it.
    site.sql("UPDATE mirrors_mirrortarget SET claimed_until = now() - interval '1 second'")
    assert all(row["lapsed"] for row in site.rows().values())
    out = site.run("mirror", "sync")

    # Taken over: what the killed process sent is unknown, so every file goes again.
    assert "dir copy: ok: full sync" in out and "bucket lantern: ok: full sync" in out
    site.assert_targets_hold_the_bundle()
    assert SIGNATURE in files_of(site.copy)


# In one process: what another process's claim looks like in the database -----------------

FAST = (0.01, 0.01)


@pytest.fixture
def small_bundle(tmp_path: Path) -> Path:
    root = tmp_path / "bundle"
    for number in range(5):
        path = root / "en" / f"story-{number}" / "index.html"
        path.parent.mkdir(parents=True)
        path.write_text(f"<!doctype html><title>Story {number}</title>")
    manifest.write_manifest(root)
    return root


def directory_target(tmp_path: Path, **fields: Any) -> MirrorTarget:
    (tmp_path / "copy").mkdir()
    return MirrorTarget.objects.create(
        name="dir copy", kind=MirrorTarget.Kind.DIRECTORY, path=str(tmp_path / "copy"), **fields
    )


def test_a_target_another_process_syncs_is_left_to_it_and_it_is_asked_to_run_again(
    db: Any, small_bundle: Path, tmp_path: Path
) -> None:
    target = directory_target(tmp_path)
    held = {"claimed_by": "node-b:4242:0a1b2c3d", "claimed_until": Now() + timedelta(minutes=1)}
    MirrorTarget.objects.filter(pk=target.pk).update(**held)

    [result] = sync_targets(small_bundle, changed=[], removed=[], retry_delays=FAST)

    assert result.ok and result.deferred and result.sent == 0
    assert list((tmp_path / "copy").iterdir()) == []
    target.refresh_from_db()
    assert target.sync_pending and target.claimed_by == "node-b:4242:0a1b2c3d"
    assert target.last_status == MirrorTarget.Status.NEVER and target.last_synced_at is None


def test_a_lapsed_claim_is_taken_over_and_every_file_sent(
    db: Any, small_bundle: Path, tmp_path: Path
) -> None:
    target = directory_target(tmp_path, needs_full_sync=False)
    lapsed = {"claimed_by": "node-b:4242:0a1b2c3d", "claimed_until": Now() - timedelta(seconds=1)}
    MirrorTarget.objects.filter(pk=target.pk).update(sync_pending=True, **lapsed)

    [result] = sync_targets(small_bundle, changed=[], removed=[], retry_delays=FAST)

    assert result.ok and result.full and not result.deferred
    assert manifest.verify(tmp_path / "copy", public_key_pem=None) == []
    target.refresh_from_db()
    assert (target.claimed_by, target.claimed_until, target.sync_pending) == ("", None, False)
    assert target.last_status == MirrorTarget.Status.OK and not target.needs_full_sync


def test_a_bundle_file_that_differs_from_the_manifest_is_never_announced(
    db: Any, small_bundle: Path, tmp_path: Path
) -> None:
    target = directory_target(tmp_path)
    # A build is halfway: it rewrote a page, and the manifest still lists the old one.
    (small_bundle / "en" / "story-3" / "index.html").write_text("<title>Corrected</title>")

    [result] = sync_targets(small_bundle, changed=[], removed=[], retry_delays=FAST)

    assert not result.ok and result.attempts == 3
    assert not (tmp_path / "copy" / MANIFEST).exists()  # the copy announces nothing
    target.refresh_from_db()
    assert target.last_status == MirrorTarget.Status.FAILED and target.needs_full_sync
    assert "en/story-3/index.html: changed in the bundle after its manifest was read" in (
        target.last_report
    )
    assert target.claimed_by == ""

    manifest.write_manifest(small_bundle)  # the build finishes
    [result] = sync_targets(small_bundle, changed=[], removed=[], retry_delays=FAST)
    assert result.ok and result.full
    assert manifest.verify(tmp_path / "copy", public_key_pem=None) == []


def test_saving_a_target_in_the_admin_keeps_a_sync_s_claim(db: Any, tmp_path: Path) -> None:
    target = directory_target(tmp_path)
    until = timezone.now() + timedelta(minutes=1)
    MirrorTarget.objects.filter(pk=target.pk).update(claimed_by="node-b:1:ab", claimed_until=until)

    target.name = "Lantern copy"
    target.save()  # the form's copy of the row, read before the claim

    target.refresh_from_db()
    assert target.name == "Lantern copy"
    assert (target.claimed_by, target.claimed_until) == ("node-b:1:ab", until)


def test_a_run_asked_of_a_claimer_that_died_is_done_by_the_next_periodic_pass(
    db: Any, small_bundle: Path, tmp_path: Path
) -> None:
    target = directory_target(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    untouched = MirrorTarget.objects.create(
        name="other copy", kind=MirrorTarget.Kind.DIRECTORY, path=str(other)
    )
    lapsed = {"claimed_by": "node-b:4242:0a1b2c3d", "claimed_until": Now() - timedelta(seconds=1)}
    MirrorTarget.objects.filter(pk=target.pk).update(sync_pending=True, **lapsed)

    [result] = sync_pending(small_bundle, retry_delays=FAST)

    assert result.name == "dir copy" and result.ok
    assert manifest.verify(tmp_path / "copy", public_key_pem=None) == []
    assert list(other.iterdir()) == []  # nobody asked for it: left to the next build
    untouched.refresh_from_db()
    assert untouched.last_status == MirrorTarget.Status.NEVER
    assert sync_pending(small_bundle, retry_delays=FAST) == []  # done: nothing pending
