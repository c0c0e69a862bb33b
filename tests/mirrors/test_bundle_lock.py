"""One builder of the bundle at a time in the whole installation, as the workers of several
machines run them: real ``samizdat`` processes against one PostgreSQL database (an advisory
lock on a connection of its own), and the lease that stands for it on SQLite. A builder waits
for the one before it, gives up after ``SAMIZDAT_BUNDLE_LOCK_WAIT`` naming the holder, and a
holder that dies lets go (at once on PostgreSQL, when its lease lapses on SQLite). Many
requests for a full build make one."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings

from samizdat.mirrors import state
from samizdat.mirrors.models import BundleState
from tests.databases import create_postgres, drop_postgres
from tests.mirrors.test_target_claims import ADMIN_URL, REPO, needs_postgres, samizdat_command

HOLD = """
import time
from samizdat.mirrors import state
with state.builder_lock("test hold"):
    print("held", flush=True)
    time.sleep({seconds})
print("released", flush=True)
"""


class Installation:
    """A PostgreSQL database shared by ``samizdat`` processes, as by several machines."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.url = url

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SAMIZDAT_") and key != "DJANGO_SETTINGS_MODULE"
        }
        env.update(
            PYTHONPATH=str(REPO / "src"),
            SAMIZDAT_DEBUG="1",
            SAMIZDAT_SECRET_KEY="lock-test-" + "k" * 50,
            SAMIZDAT_DATA_KEY=settings.DATA_KEY,
            SAMIZDAT_LOOKUP_KEY=settings.LOOKUP_KEY,
            SAMIZDAT_DATA_DIR=str(self.root / "data"),
            SAMIZDAT_DATABASE_URL=self.url,
            SAMIZDAT_BUNDLE_DIR=str(self.root / "bundle"),
            SAMIZDAT_LOG_LEVEL="ERROR",
            SAMIZDAT_BUNDLE_JOBS="1",
        )
        env.update(extra)
        return env

    def popen(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*samizdat_command(), *args],
            cwd=REPO,
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def hold(self, seconds: float) -> subprocess.Popen[str]:
        """A process that holds the builder's lock for ``seconds`` once it printed "held"."""
        process = self.popen("shell", "--no-imports", "-c", HOLD.format(seconds=seconds))
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "held", process.communicate()[1]
        return process


@pytest.fixture
def installation(
    tmp_path: Path, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[Installation]:
    base = urlsplit(ADMIN_URL).path.lstrip("/") or "samizdat"
    name = f"{base}_lock_{uuid.uuid4().hex[:8]}"[:63]
    url = create_postgres(ADMIN_URL, name, django_db_blocker)
    try:
        yield Installation(tmp_path, url)
    finally:
        drop_postgres(ADMIN_URL, name)


@needs_postgres
def test_a_second_builder_waits_for_the_first_then_builds(installation: Installation) -> None:
    holder = installation.hold(4)
    held_since = time.monotonic()
    try:
        build = installation.popen("mirror", "build", str(installation.root / "bundle"))
        stdout, stderr = build.communicate(timeout=180)
        waited = time.monotonic() - held_since
    finally:
        holder.wait(timeout=30)
    assert build.returncode == 0, stderr
    assert "pages rendered" in stdout
    assert waited >= 4  # it built only once the holder let go
    assert (installation.root / "bundle" / "manifest.json").is_file()


@needs_postgres
def test_a_builder_that_waits_too_long_gives_up_naming_the_holder(
    installation: Installation,
) -> None:
    holder = installation.hold(30)
    try:
        build = installation.popen(
            "mirror", "build", str(installation.root / "bundle"), SAMIZDAT_BUNDLE_LOCK_WAIT="1"
        )
        _stdout, stderr = build.communicate(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert build.returncode != 0
    assert "another builder holds the bundle" in stderr
    assert f"pid {holder.pid} test hold since" in stderr  # who, on which machine, since when
    assert not (installation.root / "bundle" / "manifest.json").exists()


@needs_postgres
def test_a_builder_killed_mid_build_lets_go_at_once(installation: Installation) -> None:
    holder = installation.hold(300)
    os.kill(holder.pid, signal.SIGKILL)  # a machine gone, not a clean exit
    holder.wait()
    started = time.monotonic()
    build = installation.popen(
        "mirror", "build", str(installation.root / "bundle"), SAMIZDAT_BUNDLE_LOCK_WAIT="10"
    )
    _stdout, stderr = build.communicate(timeout=180)
    assert build.returncode == 0, stderr
    assert time.monotonic() - started < 60


# --- SQLite: the lease ------------------------------------------------------------------


@pytest.mark.django_db
def test_on_sqlite_a_lapsed_lease_is_taken_over_and_a_live_one_named(
    settings: Settings,
) -> None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the lease stands in for PostgreSQL's advisory lock on SQLite")
    settings.BUNDLE_LOCK_LEASE = 1
    # A builder on another node took the lease, then its machine died.
    assert state.take_lease("node-b pid 7 full build since 05:00:00Z #dead", 1)
    busy = pytest.raises(state.BundleBusy, match="node-b pid 7 full build since 05:00:00Z")
    with busy, state.builder_lock(wait=0.3):
        pass
    started = time.monotonic()
    with state.builder_lock(wait=10) as holder:
        waited = time.monotonic() - started
        assert 0.3 <= waited < 5  # until the lease lapsed, not longer
        row = BundleState.objects.get()
        assert row.lock_holder.startswith(holder.name)
        # A live builder renews its lease as its build progresses: no one takes it over.
        time.sleep(0.7)
        holder.renew()
        time.sleep(0.6)
        with pytest.raises(state.BundleBusy), state.builder_lock(wait=0.2):
            pass
    assert BundleState.objects.get().lock_holder == ""


@pytest.mark.django_db
def test_many_requests_for_a_full_build_make_one_build() -> None:
    for _ in range(3):
        state.request_full_build()
    claims = [state.claim_full_build() for _ in range(3)]
    assert claims == [True, False, False]
    state.request_full_build()  # a change after that build started
    assert state.claim_full_build() is True
    row = BundleState.objects.get()
    assert row.full_claimed == row.full_requests == 4
    assert row.full_started_at is not None
