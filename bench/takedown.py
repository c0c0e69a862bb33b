"""``python -m bench takedown [--articles N]``: how fast a page taken down leaves the bundle
bucket readers are served from.

On a copy of the pages benchmark's seeded site (``bench/results/data-N``; production settings,
SQLite, ``collectstatic`` run), with the bundle published to a bucket of a local S3 server
(moto's, in this process):

1. Full build and publication: ``samizdat mirror build`` into ``SAMIZDAT_BUNDLE_DIR`` (which
   publishes it to ``SAMIZDAT_BUNDLE_BUCKET``): wall time, objects in the bucket.
2. Takedown while idle: an article is unpublished (as Wagtail's "Unpublish" does) and the
   rebake task its unpublication queues runs (what a worker does once it picks that task,
   ahead of others by its priority; in a process that has rendered a page before, as a
   worker has): seconds from the unpublication's commit until the
   page's object is gone from the bucket and the bucket's manifest no longer lists it (this
   process polls the bucket every 20 ms).
3. Takedown during a full build: the same while ``samizdat mirror build`` runs; the build
   removes the page between two chunks of its rendering.

The worker's pick-up delay (its polling of the task table) is not included. The figures are
for reading; nothing passes or fails. Results: bench/results/takedown-N.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import pages
from bench.mirrors import copy_site, run
from bench.pages import BIN, RESULTS, log

BUCKET = "bench-bundle"
PREFIX = "site"
POLL = 0.02

UNPUBLISH = """
import json, sys, time
import django

django.setup()
from samizdat.mirrors import state, tasks
from samizdat.publishing.models import ArticlePage

from samizdat.mirrors.render import Renderer

page = ArticlePage.objects.get(pk=int(sys.argv[1]))
paths = page.public_paths()
# A worker has rendered pages before: its templates are loaded (a cold process takes ~1.5 s).
Renderer().get(paths[0])
Renderer().get("/en/bench-no-such-page/")
started = time.time()
page.unpublish()  # commits; the takedown is recorded and its rebake queued
committed = time.time()
result = tasks.rebake.call(paths=paths, requested_at=state.db_now().timestamp())
print(json.dumps({
    "started": started, "committed": committed, "task_done": time.time(),
    "paths": paths, "result": result,
}))
"""


PATHS = """
import json, sys
import django

django.setup()
from samizdat.mirrors.write import file_for
from samizdat.publishing.models import ArticlePage

live = ArticlePage.objects.live().filter(locale__language_code="en").order_by("path")
ids = list(live.values_list("pk", flat=True))
chosen = [ids[len(ids) // 3], ids[2 * len(ids) // 3]]
print(json.dumps([[pk, file_for(ArticlePage.objects.get(pk=pk).public_paths()[0])] for pk in chosen]))
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench takedown",
        description="Seconds until a page taken down leaves the bundle bucket.",
    )
    parser.add_argument("--articles", type=int, default=1000, help="archive size (1000)")
    args = parser.parse_args(argv)
    if args.articles < 3:
        parser.error("need --articles ≥ 3")
    return args


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Watch(threading.Thread):
    """Polls the bucket until ``key`` is gone and the manifest no longer lists ``rel``."""

    def __init__(self, client: Any, rel: str) -> None:
        super().__init__(daemon=True)
        self.client, self.rel = client, rel
        self.object_gone: float | None = None
        self.unlisted: float | None = None
        self.stop = False
        self.etag = ""

    def run(self) -> None:
        from botocore.exceptions import ClientError

        while not self.stop and (self.object_gone is None or self.unlisted is None):
            if self.object_gone is None:
                try:
                    self.client.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{self.rel}")
                except ClientError:
                    self.object_gone = time.time()
            if self.unlisted is None:
                key = f"{PREFIX}/manifest.json"
                etag = self.client.head_object(Bucket=BUCKET, Key=key)["ETag"]
                if etag != self.etag:  # read (a megabyte) only when it changed
                    self.etag = etag
                    body = self.client.get_object(Bucket=BUCKET, Key=key)
                    data = json.loads(body["Body"].read())
                    if all(entry["path"] != self.rel for entry in data["files"]):
                        self.unlisted = time.time()
            time.sleep(POLL)


def takedown(env: dict[str, str], client: Any, pk: int, rel: str, workdir: Path) -> dict[str, Any]:
    watch = Watch(client, rel)
    client.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{rel}")  # published before
    watch.start()
    out = run(env, [sys.executable, "-c", UNPUBLISH, str(pk)], workdir / f"unpublish-{pk}.log")
    done = json.loads(out.strip().splitlines()[-1])
    watch.join(timeout=1800)
    watch.stop = True
    committed = done["committed"]
    return {
        "rel": rel,
        "object_gone_seconds": None if watch.object_gone is None else watch.object_gone - committed,
        "unlisted_seconds": None if watch.unlisted is None else watch.unlisted - committed,
        "task_seconds": done["task_done"] - committed,
        "unpublish_seconds": committed - done["started"],
        "result": done["result"],
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from moto.server import ThreadedMotoServer

    RESULTS.mkdir(parents=True, exist_ok=True)
    seeded = RESULTS / f"data-{args.articles}"
    pages.prepare(seeded, args.articles, pages.site_env(seeded))
    workdir = RESULTS / f"takedown-{args.articles}"
    log(f"copying {seeded} to {workdir / 'data'}")
    copy_site(seeded, workdir / "data")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        import boto3

        url = f"http://127.0.0.1:{port}"
        keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
        client = boto3.client("s3", endpoint_url=url, region_name="us-east-1", **keys)
        client.create_bucket(Bucket=BUCKET)
        bundle_dir = workdir / "bundle"
        shutil.rmtree(bundle_dir, ignore_errors=True)  # a first build, as on a new machine
        env = {
            **pages.site_env(workdir / "data"),
            "SAMIZDAT_BUNDLE_DIR": str(bundle_dir),
            "SAMIZDAT_BUNDLE_BUCKET": BUCKET,
            "SAMIZDAT_BUNDLE_PREFIX": PREFIX,
            "SAMIZDAT_S3_ENDPOINT_URL": url,
            "SAMIZDAT_S3_REGION": "us-east-1",
            "SAMIZDAT_S3_ACCESS_KEY_ID": "bench",
            "SAMIZDAT_S3_SECRET_ACCESS_KEY": "bench",
        }
        samizdat = str(BIN / "samizdat")
        run(env, [samizdat, "collectstatic", "--noinput", "-v0"], workdir / "static.log")
        log(f"samizdat mirror build {bundle_dir} (and its publication)")
        started = time.monotonic()
        built = run(env, [samizdat, "mirror", "build", str(bundle_dir)], workdir / "build.log")
        build_seconds = time.monotonic() - started
        objects = sum(
            len(page.get("Contents", []))
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        )
        chosen = run(env, [sys.executable, "-c", PATHS], workdir / "paths.log")
        (idle_pk, idle_rel), (busy_pk, busy_rel) = json.loads(chosen.strip().splitlines()[-1])
        log(f"takedown while idle: {idle_rel}")
        idle = takedown(env, client, idle_pk, idle_rel, workdir)
        log("takedown during a full build")
        build_log = (workdir / "build-2.log").open("w")
        building = subprocess.Popen(
            [samizdat, "mirror", "build", str(bundle_dir)],
            env=env,
            cwd=pages.ROOT,
            stdout=build_log,
            stderr=subprocess.STDOUT,
        )
        build_started = time.monotonic()
        time.sleep(min(15.0, build_seconds / 4))  # well into its rendering
        during = takedown(env, client, busy_pk, busy_rel, workdir)
        during["seconds_into_build"] = time.monotonic() - build_started - during["task_seconds"]
        building.wait(timeout=7200)
        build_log.close()
        during["full_build_seconds"] = time.monotonic() - build_started
        during["full_build_exit"] = building.returncode
    finally:
        server.stop()
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": vars(args),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "build": {"seconds": build_seconds, "objects": objects, "output": built.strip()[-300:]},
        "takedown_idle": idle,
        "takedown_during_full_build": during,
    }
    out = RESULTS / f"takedown-{args.articles}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    log(f"results: {out}")
