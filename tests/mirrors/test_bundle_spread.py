"""A full build spread over the workers of several machines: real ``samizdat`` processes,
each with a data folder of its own, sharing one PostgreSQL database. A worker that only runs
the bundle queue renders part of a build another process runs; the bundle is byte for byte
the one a lone process builds; a helper killed mid-chunk loses nothing (its chunk is taken
back once its claim lapsed); a rebuild with nothing changed sends and writes nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.db.models import Model
from psycopg import sql
from pytest_django import DjangoDbBlocker

from samizdat.core.models import WorkerLease
from samizdat.mirrors import spread, state
from samizdat.mirrors.models import BundleChunk
from tests import factories
from tests.databases import create_postgres, drop_postgres
from tests.mirrors.test_bundle_lock import Installation
from tests.mirrors.test_bundle_processes import files
from tests.mirrors.test_target_claims import ADMIN_URL, needs_postgres
from tests.multinode.installation import wait_until

# The processes read the stories from a copy of the test database: they must be committed.
pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]

# A build as the building worker runs it, in chunks of 4 addresses (a small site still makes
# many); ``slow`` seconds more per page stand for a slower machine than its helpers.
BUILD = """
import json, time
from pathlib import Path
from samizdat.mirrors import bundle, render
bundle.CHUNK_SIZE = 4
get = render.Renderer.get
def slowed(self, path):
    time.sleep({slow})
    return get(self, path)
render.Renderer.get = slowed
report = bundle.build_bundle(Path({root!r}))
print(json.dumps({{
    "pages": report.pages, "written": sorted(report.written), "problems": report.problems,
    "processes": report.processes, "helped": report.helped, "received": report.received,
}}))
"""

# A helper that claims one chunk as soon as a build has some, then renders it slowly
# (renewing its claim) until it is killed.
SLOW_HELPER = """
import time
from samizdat.mirrors import render, spread
from samizdat.mirrors import spread, state
from samizdat.mirrors.models import BundleChunk
get = render.Renderer.get
def slowed(self, path):
    time.sleep(0.5)
    return get(self, path)
render.Renderer.get = slowed
print("ready", flush=True)
token = spread.claimant()
while True:
    build = BundleChunk.objects.values_list("build", flat=True).first()
    row = spread.claim(build, token, 3) if build else None
    if row is not None:
        break
    time.sleep(0.02)
print("claimed", row.number, flush=True)
spread._render_for(row, token, 3)
print("finished", flush=True)
"""


@pytest.fixture
def installation(
    tmp_path: Path, newsroom: dict[str, Any], django_db_blocker: DjangoDbBlocker
) -> Iterator[Installation]:
    for n in range(1, 9):
        factories.ArticlePageFactory(
            parent=newsroom["news"] if n % 3 else newsroom["culture"],
            title=f"Spread story {n}",
            slug=f"spread-story-{n}",
            authors=[newsroom["anna"]] if n % 2 else [newsroom["pavel"]],
            tags=["courts"] if n % 4 == 0 else ["elections"],
        )
    base = urlsplit(ADMIN_URL).path.lstrip("/") or "samizdat"
    name = f"{base}_spread_{uuid.uuid4().hex[:8]}"[:63]
    url = create_postgres(ADMIN_URL, name, django_db_blocker)
    try:
        yield Installation(tmp_path, url)
    finally:
        drop_postgres(ADMIN_URL, name)


def build(installation: Installation, root: Path, slow: str = "0", **env: str) -> dict[str, Any]:
    process = installation.popen(
        "shell", "--no-imports", "-c", BUILD.format(root=str(root), slow=slow), **env
    )
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    report: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return report


def node(installation: Installation, name: str) -> dict[str, str]:
    """What sets a node apart: a data folder of its own (the uploads, this process's, are
    shared by every node, as in a bucket); nothing else runs on its worker."""
    data = installation.root / f"node-{name}"
    if not data.exists():
        data.mkdir()
        (data / "media").symlink_to(settings.MEDIA_ROOT)
    return {
        "SAMIZDAT_DATA_DIR": str(data),
        "SAMIZDAT_BUNDLE_FULL_BUILD_HOURS": "0",
        "SAMIZDAT_BUNDLE_AUTO_BUILD": "0",
    }


def rows(installation: Installation, model: type[Model]) -> int:
    """How many rows the installation's table of ``model`` holds."""
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(model._meta.db_table))
    with psycopg.connect(installation.url, autocommit=True) as db:
        row = db.execute(query).fetchone()
        return int(row[0]) if row else 0


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.kill(process.pid, sig)
    process.communicate(timeout=60)


def test_a_worker_of_another_node_renders_part_of_the_build_with_the_same_bytes(
    installation: Installation,
) -> None:
    alone = build(
        installation,
        installation.root / "alone",
        SAMIZDAT_BUNDLE_HELPERS="0",
        **node(installation, "alone"),
    )
    helper = installation.popen("worker", "--queues", "bundle", **node(installation, "helper"))
    try:
        wait_until(
            "the helper's worker runs",
            lambda: rows(installation, WorkerLease) or None,
            timeout=120,
        )
        root = installation.root / "spread"
        helped = build(installation, root, slow="0.3", **node(installation, "builder"))
        again = build(installation, root, slow="0.3", **node(installation, "builder"))
    finally:
        stop(helper)

    assert alone["problems"] == helped["problems"] == []
    assert alone["pages"] == helped["pages"] > 40
    assert (alone["processes"], alone["helped"]) == (1, 0)
    # The helper rendered some chunks and sent their files through the database.
    assert helped["processes"] == 2 and helped["helped"] > 0 and helped["received"] > 0
    assert helped["written"] == alone["written"]
    assert files(root) == files(installation.root / "alone")
    story = (root / "en/news/spread-story-1/index.html").read_text()
    assert "<h1>Spread story 1</h1>" in story
    # Nothing changed: the helper rendered again, and neither sent nor wrote anything.
    assert again["helped"] > 0 and again["received"] == 0 and again["written"] == []
    assert files(root) == files(installation.root / "alone")
    assert rows(installation, BundleChunk) == 0  # the build's rows went with it


def test_a_helper_killed_mid_chunk_loses_nothing(installation: Installation) -> None:
    alone = build(
        installation,
        installation.root / "alone",
        SAMIZDAT_BUNDLE_HELPERS="0",
        **node(installation, "alone"),
    )
    helper = installation.popen(
        "shell", "--no-imports", "-c", SLOW_HELPER, **node(installation, "helper")
    )
    assert helper.stdout is not None
    assert helper.stdout.readline().strip() == "ready", helper.communicate()[1]
    root = installation.root / "spread"
    builder = installation.popen(
        "shell",
        "--no-imports",
        "-c",
        BUILD.format(root=str(root), slow="0"),
        SAMIZDAT_BUNDLE_CHUNK_LEASE="3",
        **node(installation, "builder"),
    )
    try:
        line = helper.stdout.readline()
        assert line.startswith("claimed"), helper.communicate()[1]
        time.sleep(1)  # a page or two into its chunk
        os.kill(helper.pid, signal.SIGKILL)  # a machine gone, not a clean exit
        helper.wait()
        stdout, stderr = builder.communicate(timeout=300)
    finally:
        if builder.poll() is None:
            stop(builder, signal.SIGKILL)
        stop(helper, signal.SIGKILL)
    assert builder.returncode == 0, stderr
    report = json.loads(stdout.strip().splitlines()[-1])
    # The builder took the chunk back once the claim lapsed and rendered it itself.
    assert report["helped"] == 0 and report["processes"] == 1
    assert report["pages"] == alone["pages"] and report["problems"] == []
    assert report["written"] == alone["written"]
    assert files(root) == files(installation.root / "alone")


def test_a_helper_renders_only_while_its_builder_holds_the_lock() -> None:
    # A helper task that comes after its build ended finds nothing to do.
    assert spread.help("f" * 32) == {"chunks": 0}
    # The rows of a builder that died wait for the next build (which deletes them): a
    # helper renders none of them.
    BundleChunk.objects.create(build="dead", number=0, paths=["/robots.txt"])
    assert spread.help("dead") == {"chunks": 0}
    assert BundleChunk.objects.get().claimed_by == ""
    with state.builder_lock("test build"):
        assert spread.help("dead") == {"chunks": 1}
    row = BundleChunk.objects.get()
    assert row.done and row.result is not None and row.result["produced"] == ["robots.txt"]
    # Nothing known of the bundle yet: the file and its compressed siblings are sent.
    assert sorted(file.name for file in row.files.all()) == [
        "robots.txt",
        "robots.txt.br",
        "robots.txt.gz",
    ]
