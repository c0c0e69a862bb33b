"""Two nodes of one installation, started once for the whole multinode pass (see
``installation.py``): a small newsroom seeded through node A, both nodes serving and working."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import DjangoDbBlocker

from tests.databases import create_postgres, drop_postgres
from tests.mirrors.s3_server import KEY_ID, REGION, SECRET, s3_server
from tests.multinode.installation import (
    BUILD_TASK,
    BUNDLE_BUCKET,
    MEDIA_BUCKET,
    MIRROR_BUCKET,
    Installation,
    smtp_sink,
)

ADMIN_URL = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("SAMIZDAT_TEST_REDIS_URL", "")
ARTICLES = 20
SUBSCRIBERS = 350

MIRROR_TARGET = """
from samizdat.mirrors.models import MirrorTarget
MirrorTarget.objects.create(
    name="partner bucket", kind="s3", bucket={bucket!r}, endpoint_url={url!r},
    region={region!r}, access_key_id={key_id!r}, secret_access_key={secret!r},
)
"""


class Stage:
    def __init__(self) -> None:
        self.last = time.monotonic()

    def __call__(self, what: str) -> None:
        now = time.monotonic()
        print(f"{what}: {now - self.last:.1f} s", flush=True)
        self.last = now


def _flush_redis(url: str) -> None:
    """The nodes' cache starts empty: a lock or a cached page left by an earlier run would
    make this one see another installation's past."""
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="session")
def installation(
    tmp_path_factory: pytest.TempPathFactory,
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
) -> Iterator[Installation]:
    if not (ADMIN_URL and REDIS_URL):
        pytest.skip(
            "the nodes share PostgreSQL and Redis as several machines do: set "
            "SAMIZDAT_TEST_DATABASE_URL and SAMIZDAT_TEST_REDIS_URL"
        )
    _flush_redis(REDIS_URL)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's line per request
    name = f"samizdat_mn_{uuid.uuid4().hex[:8]}"
    database_url = create_postgres(ADMIN_URL, name, django_db_blocker)
    root = Path(tmp_path_factory.mktemp("nodes"))
    try:
        with s3_server() as s3, smtp_sink() as smtp:
            for bucket in (MEDIA_BUCKET, BUNDLE_BUCKET, MIRROR_BUCKET):
                s3.client().create_bucket(Bucket=bucket)
            site = Installation(root, database_url, REDIS_URL, s3, smtp)
            a, _b = site.add_nodes(2)
            try:
                started = time.monotonic()
                stage = Stage()
                site.run(a, "seed", "--articles", str(ARTICLES), "--subscribers", str(SUBSCRIBERS))
                stage("seed")
                site.shell(
                    a,
                    MIRROR_TARGET.format(
                        bucket=MIRROR_BUCKET,
                        url=s3.url,
                        region=REGION,
                        key_id=KEY_ID,
                        secret=SECRET,
                    ),
                )
                asked_before = len(site.tasks(BUILD_TASK))  # by the seeding's publications
                for node in site.nodes:
                    site.start_serve(node)
                    site.start_worker(node)
                for node in site.nodes:
                    site.wait_for_health(node)
                stage("health")
                # Both workers ran their periodic jobs a few times and the first build is done.
                time.sleep(4)
                site.wait_for_quiet(timeout=150)
                stage("quiet")
                site.startup_builds = len(site.tasks(BUILD_TASK)) - asked_before
                site.ready_in = time.monotonic() - started
                yield site
            finally:
                site.stop()
    finally:
        drop_postgres(ADMIN_URL, name)
