"""``samizdat serve`` as an operator runs it: gunicorn with two worker processes on a copy of
the migrated test database (SQLite, or PostgreSQL when SAMIZDAT_TEST_DATABASE_URL is set),
without Redis. Rate limits hold across the processes, and the error log names no client."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from pytest_django import DjangoDbBlocker

from tests.databases import copy_sqlite, create_postgres, drop_postgres

# The tests themselves only talk HTTP; the mark makes pytest-django set up the database the
# server's copy is made from.
pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
LIMIT = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    port: int
    log: Path

    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("serve")
    admin_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
    name = f"{urlsplit(admin_url).path.lstrip('/')}_serve_{uuid.uuid4().hex[:8]}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SAMIZDAT_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="samizdat.settings",
        SAMIZDAT_DATA_DIR=str(data_dir),
        SAMIZDAT_SECRET_KEY="serve-" + "k" * 50,
        SAMIZDAT_DATA_KEY=os.environ["SAMIZDAT_DATA_KEY"],
        SAMIZDAT_LOOKUP_KEY=os.environ["SAMIZDAT_LOOKUP_KEY"],
        SAMIZDAT_SITE_URL="http://testserver",
        SAMIZDAT_SSL_REDIRECT="0",
        SAMIZDAT_BUNDLE_AUTO_BUILD="0",
        SAMIZDAT_NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW=str(LIMIT),
    )
    if admin_url:
        env["SAMIZDAT_DATABASE_URL"] = create_postgres(admin_url, name, django_db_blocker)
    else:
        copy_sqlite(data_dir / "samizdat.sqlite3", django_db_blocker)
    port = free_port()
    log = data_dir / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "samizdat.cli", "serve", "--workers", "2",
             "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
    try:
        running = Server(port, log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, running.stderr()[-3000:]
            if running.stderr().count("Booting worker") >= 2:
                try:
                    running.request("GET", "/newsletter/ping/", headers={"Host": "testserver"})
                    break
                except OSError:
                    pass
            time.sleep(0.2)
        else:
            pytest.fail("samizdat serve did not start: " + running.stderr()[-3000:])
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)
        if admin_url:
            drop_postgres(admin_url, name)


def signup(server: Server, number: int) -> int:
    body = urlencode(
        {"email": f"reader{number}@example.org", "language": "en", "consent": "yes",
         "form": "newsletter", "website": "", "altcha": ""}
    )  # fmt: skip
    return server.request(
        "POST", "/newsletter/subscribe/", body,
        {"Host": "testserver", "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip


def test_the_signup_limit_holds_across_worker_processes(server: Server) -> None:
    """Sixteen signups at once from one network, against a limit of five an hour: each
    process counting on its own would let up to ten through."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: signup(server, n), range(16)))
    assert sorted(statuses) == [200] * LIMIT + [429] * (16 - LIMIT), statuses


def test_the_error_log_names_no_client(server: Server) -> None:
    before = len(server.stderr())
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"NONSENSE \x01\x02 HTTP/9.9\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 400")
    # A scanner asking for a host we do not serve, many times over.
    for _ in range(3):
        assert server.request("GET", "/en/", headers={"Host": "scanner.example"}) == 400
    time.sleep(0.5)  # the lines reach the file
    written = server.stderr()[before:]
    assert "Invalid request" in written, written
    assert "127.0.0.1" not in written
    assert "Traceback" not in written
    assert "scanner.example" not in written
    refused = [line for line in written.splitlines() if "host this site does not serve" in line]
    assert len(refused) == 3, written
    # The server's own address, for the operator, stays in the start-up line.
    assert f"Listening at: http://127.0.0.1:{server.port}" in server.stderr()
