"""An installation of several nodes on this machine, as an operator runs one on several.

Each node is one ``samizdat serve`` (gunicorn) and one ``samizdat worker``, started as
processes with their own data folder (``SAMIZDAT_DATA_DIR``: the node's disk, a cache and the
building worker's working copy) and the settings file every machine of an installation shares
(docs/DEPLOY.md, "Several machines"): one secret key and data keys, one PostgreSQL database,
one Redis, one S3-compatible store (moto's server) holding the media and the published bundle,
and one mail server (aiosmtpd in the test process, recording every message it accepts).

Processes are started in sessions of their own and stopped by their own process ids (the
group gunicorn's workers and the build's children belong to), never by name.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from samizdat.mirrors import manifest
from tests.mirrors.s3_server import KEY_ID, REGION, SECRET, S3Server
from tests.newsletter.smtp import SmtpServer

REPO = Path(__file__).resolve().parents[2]
MEDIA_BUCKET = "newsroom-media"
BUNDLE_BUCKET = "newsroom-bundle"
MIRROR_BUCKET = "mirror-copy"  # a mirror target: a bucket another organisation serves
BUILD_TASK = "samizdat.mirrors.tasks.build"
REBAKE_TASK = "samizdat.mirrors.tasks.rebake"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.2) -> T:
    """``check()``'s first truthy answer within ``timeout`` seconds; else an AssertionError
    naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    """Status and body of a GET, without following redirects' errors into exceptions."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def stop_group(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Stop a process started in its own session, and whatever it started (gunicorn's
    workers, a build's render processes): the group's id is the process's own."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with suppress(ProcessLookupError):  # children that outlived a kill -9 of their parent
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Node:
    """One machine: its data folder, its web server and its worker."""

    name: str
    data_dir: Path
    env: dict[str, str]
    port: int
    serve: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    worker_starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def bundle_dir(self) -> Path:
        return self.data_dir / "bundle"

    def log(self, what: str) -> Path:
        return self.data_dir / f"{what}.log"

    def tail(self, what: str, size: int = 3000) -> str:
        path = self.log(what)
        return path.read_text(errors="replace")[-size:] if path.exists() else ""


@dataclass(repr=False)  # a failed assertion names the test's values, not every setting
class Installation:
    """The nodes and the services they share."""

    root: Path
    database_url: str
    redis_url: str
    s3: S3Server
    smtp: SmtpServer
    nodes: list[Node] = field(default_factory=list)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    startup_builds: int = 0  # full builds queued while both workers started
    ready_in: float = 0.0  # seconds from nothing to two nodes seeded, serving and idle

    # Settings -------------------------------------------------------------------------

    def settings_file(self, site_url: str) -> dict[str, str]:
        """What ``samizdat setup`` writes to /etc/samizdat/samizdat.env, the same on every
        machine (the test's own data keys, so that it can read what the nodes wrote)."""
        from django.conf import settings

        return {
            "SAMIZDAT_SECRET_KEY": self.secret_key,
            "SAMIZDAT_DATA_KEY": settings.DATA_KEY,
            "SAMIZDAT_LOOKUP_KEY": settings.LOOKUP_KEY,
            "SAMIZDAT_SITE_URL": site_url,
            "SAMIZDAT_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SAMIZDAT_SSL_REDIRECT": "0",  # plain http on the loopback, no TLS proxy
            "SAMIZDAT_HSTS_SECONDS": "0",
            "SAMIZDAT_DATABASE_URL": self.database_url,
            "SAMIZDAT_REDIS_URL": self.redis_url,
            "SAMIZDAT_EMAIL_URL": self.smtp.url,
            "SAMIZDAT_MEDIA_BUCKET": MEDIA_BUCKET,
            "SAMIZDAT_BUNDLE_BUCKET": BUNDLE_BUCKET,
            "SAMIZDAT_S3_ENDPOINT_URL": self.s3.url,
            "SAMIZDAT_S3_REGION": REGION,
            "SAMIZDAT_S3_ACCESS_KEY_ID": KEY_ID,
            "SAMIZDAT_S3_SECRET_ACCESS_KEY": SECRET,
            "SAMIZDAT_BUNDLE_JOBS": "1",  # two cores for four processes and the test
            # Short leases, so that what a killed process held is taken over within the test.
            "SAMIZDAT_NEWSLETTER_CLAIM_LEASE": "5",
            "SAMIZDAT_TASK_LEASE": "5",
            "SAMIZDAT_MIRROR_SYNC_LEASE": "10",
            "SAMIZDAT_LOG_LEVEL": "WARNING",
        }

    def node_env(self, data_dir: Path, site_url: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SAMIZDAT_") and key != "DJANGO_SETTINGS_MODULE"
        }
        env.update(self.settings_file(site_url))
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
        env["SAMIZDAT_DATA_DIR"] = str(data_dir)
        env["SAMIZDAT_BUNDLE_SIGNING_KEY"] = str(data_dir / "bundle-signing.pem")
        return env

    # Processes ------------------------------------------------------------------------

    def add_nodes(self, count: int) -> list[Node]:
        ports = [free_port() for _ in range(count)]
        site_url = f"http://127.0.0.1:{ports[0]}"
        private_key, public_key = manifest.generate_key()
        (self.root / "bundle-signing.pub").write_bytes(public_key)
        for number, port in enumerate(ports):
            name = "ABCDEFGH"[number]
            data_dir = self.root / f"node-{name}"
            data_dir.mkdir(parents=True)
            key = data_dir / "bundle-signing.pem"  # copied to each machine, as DEPLOY says
            key.write_bytes(private_key)
            key.chmod(0o600)
            self.nodes.append(Node(name, data_dir, self.node_env(data_dir, site_url), port))
        return self.nodes

    @property
    def public_key(self) -> Path:
        return self.root / "bundle-signing.pub"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "samizdat.cli", *args]

    def run(self, node: Node, *args: str, timeout: float = 180, **env: str) -> str:
        """A ``samizdat`` command run by hand on ``node``; its output (it must succeed)."""
        done = subprocess.run(
            self.command(*args),
            env={**node.env, **env},
            cwd=node.data_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"samizdat {' '.join(args)} on node {node.name}:\n" + (
            done.stdout[-2000:] + done.stderr[-4000:]
        )
        return done.stdout

    def shell(self, node: Node, code: str, timeout: float = 180) -> str:
        """Python run by ``samizdat shell`` on ``node``: what an editor's action there does."""
        return self.run(node, "shell", "-c", code, timeout=timeout)

    def _start(self, node: Node, what: str, *args: str) -> subprocess.Popen[bytes]:
        with node.log(what).open("ab") as log:
            return subprocess.Popen(
                self.command(*args),
                env=node.env,
                cwd=node.data_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_serve(self, node: Node) -> None:
        node.serve = self._start(node, "serve", "serve", "--bind", f"127.0.0.1:{node.port}")

    def start_worker(self, node: Node) -> None:
        node.worker_starts += 1
        # Queues polled five times a second: a helper asked to join a build of this small
        # site picks its task up while the builder still has chunks open.
        node.worker = self._start(
            node, "worker", "worker", "--schedule-interval", "2", "--interval", "0.2"
        )

    def wait_for_health(self, node: Node, timeout: float = 180) -> None:
        def answers() -> bool:
            assert node.serve is not None
            if node.serve.poll() is not None:
                raise AssertionError(f"node {node.name}'s server stopped:\n{node.tail('serve')}")
            try:
                return get(f"{node.url}/en/", timeout=120)[0] == 200
            except OSError:
                return False

        wait_until(f"node {node.name} answering", answers, timeout, every=0.5)

    def kill_worker(self, node: Node) -> None:
        """``kill -9`` of the node's worker: no clean-up, no goodbye."""
        assert node.worker is not None
        os.kill(node.worker.pid, signal.SIGKILL)
        node.worker.wait(timeout=10)
        stop_group(node.worker, signal.SIGKILL)  # the build's render processes, if any
        node.worker = None

    def stop_worker(self, node: Node) -> None:
        if node.worker is not None:
            stop_group(node.worker)
            node.worker = None

    def stop(self) -> None:
        for node in self.nodes:
            for process in (node.worker, node.serve):
                if process is not None:
                    stop_group(process)
            node.worker = node.serve = None

    def workers_alive(self) -> None:
        for node in self.nodes:
            if node.worker is not None and node.worker.poll() is not None:
                raise AssertionError(f"node {node.name}'s worker stopped:\n{node.tail('worker')}")

    # The shared database --------------------------------------------------------------

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as db:
            cursor = db.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def tasks(self, task_path: str) -> list[tuple[str, str]]:
        """(status, queue) of every task of that kind, oldest first."""
        rows = self.sql(
            "SELECT status, queue_name FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = %s ORDER BY enqueued_at",
            task_path,
        )
        return [(status, queue) for status, queue in rows]

    def unfinished_tasks(self) -> int:
        return int(
            self.sql(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                "WHERE status IN ('READY', 'RUNNING')"
            )[0][0]
        )

    def wait_for_quiet(self, timeout: float = 120) -> None:
        """Until no task is waiting or running (twice in a row: a task may queue another)."""
        quiet = 0

        def idle() -> bool:
            nonlocal quiet
            self.workers_alive()
            quiet = quiet + 1 if self.unfinished_tasks() == 0 else 0
            return quiet >= 3

        wait_until("the queues emptied", idle, timeout, every=0.5)

    # The object store -----------------------------------------------------------------

    def bucket_files(self, bucket: str) -> dict[str, bytes]:
        client = self.s3.client()
        return {
            key: client.get_object(Bucket=bucket, Key=key)["Body"].read()
            for key in self.s3.keys(bucket)
        }

    def bucket_copy(self, bucket: str, out: Path) -> Path:
        """The bucket's objects as a directory, for ``samizdat mirror verify``."""
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for key, body in self.bucket_files(bucket).items():
            (out / key).parent.mkdir(parents=True, exist_ok=True)
            (out / key).write_bytes(body)
        return out


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the manifest and its signature (they carry the time)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith("manifest.json")
    }


@contextmanager
def smtp_sink() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
