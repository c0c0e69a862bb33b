"""``samizdat newsletter send`` as a real process, killed with SIGKILL mid-send and run again,
or started twice at once, against a real SMTP server.

The processes use their own database (a copy per test of a SQLite file, or with
``SAMIZDAT_TEST_DATABASE_URL`` a PostgreSQL database, made once from the migrated test
database and seeded), so they see each other's commits the way a worker and an operator's
shell do in production.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from pytest_django import DjangoDbBlocker

from samizdat.core import crypto
from samizdat.newsletter.sending import IN_DOUBT
from tests.databases import copy_sqlite, create_postgres, drop_postgres
from tests.newsletter.smtp import SmtpServer

REPO = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 375  # `samizdat seed` makes one in five Russian: 300 English readers
ENGLISH = 300
SECRET_KEY = "crash-test-" + "k" * 50

# One process (each start costs a second or two): migrate (nothing left to apply), seed
# readers, make the edition.
SET_UP = f"""
from django.core.management import call_command
from samizdat.newsletter.models import Edition, EditionItem
from tests import factories

call_command("migrate", interactive=False, verbosity=0)
call_command("seed", subscribers={SUBSCRIBERS})

section = factories.SectionPageFactory(parent=factories.home("en"), title="News", slug="news")
story = factories.ArticlePageFactory(parent=section, title="Court opens trial", slug="trial")
edition = Edition.objects.create(language="en", subject="The Lantern weekly")
EditionItem.objects.create(edition=edition, article=story, sort_order=0)
print(edition.pk)
"""


def samizdat_command() -> list[str]:
    script = Path(sys.executable).with_name("samizdat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "samizdat.cli"]


@dataclass
class Database:
    """Where the processes keep their data: a SQLite file, or a PostgreSQL database."""

    url: str  # SAMIZDAT_DATABASE_URL ("" = SQLite in the data dir)
    data_dir: Path
    created: list[str] = field(default_factory=list)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if not self.url:
            path = self.data_dir / "samizdat.sqlite3"
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                return list(db.execute(sql).fetchall())
        import psycopg

        with psycopg.connect(self.url) as db:
            return list(db.execute(sql).fetchall())


class Installation:
    """One samizdat installation on disk, driven through its command line."""

    def __init__(self, database: Database, edition_id: int, smtp_url: str = "") -> None:
        self.database = database
        self.edition_id = edition_id
        self.smtp_url = smtp_url
        self.overrides: dict[str, str] = {}  # environment of every process started

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SAMIZDAT_") and key != "DJANGO_SETTINGS_MODULE"
        }
        env.update(
            # This tree's code, even where another checkout is installed in the virtualenv.
            PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]),
            SAMIZDAT_DEBUG="1",
            SAMIZDAT_SECRET_KEY=SECRET_KEY,
            # The keys of this test process, which reads the addresses the commands write.
            SAMIZDAT_DATA_KEY=settings.DATA_KEY,
            SAMIZDAT_LOOKUP_KEY=settings.LOOKUP_KEY,
            SAMIZDAT_DATA_DIR=str(self.database.data_dir),
            SAMIZDAT_LOG_LEVEL="ERROR",
            SAMIZDAT_EMAIL_URL=self.smtp_url,
            SAMIZDAT_NEWSLETTER_CLAIM_LEASE="1",
            # One commit per letter: at most one letter per claim in doubt, which these tests
            # pin down exactly (test_leases.py covers recording in batches).
            SAMIZDAT_NEWSLETTER_RECORD_BATCH="1",
            SAMIZDAT_NEWSLETTER_RETRY_DELAYS="0.01,0.01,0.01",
        )
        if self.database.url:
            env["SAMIZDAT_DATABASE_URL"] = self.database.url
        return env | self.overrides

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*samizdat_command(), *args],
            cwd=REPO,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*samizdat_command(), *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"samizdat {' '.join(args)}:\n{result.stderr[-3000:]}"
        return result

    def send(self, *extra: str) -> subprocess.Popen[str]:
        return self.popen("newsletter", "send", str(self.edition_id), *extra)

    def deliveries(self) -> dict[str, tuple[str, str]]:
        """email → (status, error) of the edition's deliveries."""
        rows = self.database.rows(
            "SELECT edition_id, email, status, error FROM newsletter_delivery"
        )
        return {
            crypto.decrypt(email): (status, error)
            for edition_id, email, status, error in rows
            if edition_id == self.edition_id
        }

    def audience(self) -> set[str]:
        rows = self.database.rows(
            "SELECT email FROM newsletter_subscriber WHERE language = 'en' AND status = 'active'"
        )
        return {crypto.decrypt(email) for (email,) in rows}


class Installations:
    """Makes a migrated, seeded installation once, and a fresh copy of it per test."""

    def __init__(self, root: Path, blocker: DjangoDbBlocker) -> None:
        self.root = root
        self.blocker = blocker
        self.admin_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
        self.suffix = uuid.uuid4().hex[:8]
        self.databases: list[str] = []
        template = self._database("template")
        made = Installation(template, 0).run("shell", "-c", SET_UP)
        self.edition_id = int(made.stdout.strip().splitlines()[-1])
        self.template = template

    def _database(self, label: str, template: Database | None = None) -> Database:
        data_dir = self.root / label
        data_dir.mkdir()
        if not self.admin_url:
            if template is None:
                copy_sqlite(data_dir / "samizdat.sqlite3", self.blocker)
            else:
                shutil.copy(template.data_dir / "samizdat.sqlite3", data_dir)
            return Database("", data_dir)
        base = urlsplit(self.admin_url).path.lstrip("/") or "samizdat"
        name = f"{base}_crash{len(self.databases)}_{self.suffix}"[:63]
        source = urlsplit(template.url).path.lstrip("/") if template is not None else None
        url = create_postgres(self.admin_url, name, self.blocker, source)
        self.databases.append(name)
        return Database(url, data_dir)

    def fresh(self, label: str, smtp_url: str) -> Installation:
        return Installation(self._database(label, self.template), self.edition_id, smtp_url)

    def close(self) -> None:
        for name in self.databases:
            drop_postgres(self.admin_url, name)


@pytest.fixture(scope="module")
def installations(
    tmp_path_factory: Any, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[Installations]:
    made = Installations(tmp_path_factory.mktemp("installations"), django_db_blocker)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture
def site(installations: Installations, server: SmtpServer, request: Any) -> Installation:
    return installations.fresh(request.node.name.replace("[", "_").strip("]"), server.url)


def finish(process: subprocess.Popen[str], timeout: float = 120) -> str:
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return stdout


def test_killed_mid_send_then_resumed(site: Installation, server: SmtpServer) -> None:
    """SIGKILL after about a third of the letters went out, while letters are in flight on
    both connections; a second run finishes the edition. Everyone gets the letter; a reader
    may get it twice only if their delivery is marked in doubt, at most one per connection of
    the killed sender, and both copies carry the same Message-ID."""
    audience = site.audience()
    assert len(audience) == ENGLISH
    server.handler.delay = 0.004  # slow enough that the kill lands mid-conversation

    sender = site.send("--connections", "2")
    if not server.handler.wait_until(ENGLISH // 3, timeout=60):
        sender.kill()
        pytest.fail(f"the sender did not get going: {sender.communicate()[1][-3000:]}")
    sender.send_signal(signal.SIGKILL)
    sender.wait(timeout=10)
    before = len(server.received())
    assert before < ENGLISH, "the kill came too late to test anything"
    server.handler.delay = 0

    stdout = finish(site.send("--connections", "2"))
    assert f"Resuming edition {site.edition_id}." in stdout

    received = server.per_recipient()
    assert set(received) == audience
    twice = {email for email, count in received.items() if count > 1}
    assert max(received.values()) <= 2
    assert len(twice) <= 2
    deliveries = site.deliveries()
    in_doubt = {email for email, (_status, error) in deliveries.items() if error == IN_DOUBT}
    assert twice <= in_doubt
    assert len(in_doubt) <= 2
    assert {status for status, _error in deliveries.values()} == {"sent"}
    for email in twice:
        copies = [m.parse() for m in server.received() if email in m.rcpt_tos]
        assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert len(server.received()) == ENGLISH + len(twice)

    status = site.run("newsletter", "status", str(site.edition_id)).stdout
    assert ": sent" in status
    assert f"total {ENGLISH} · sent {ENGLISH} · failed 0 · bounced 0 · pending 0" in status


def test_killed_before_the_server_accepted_a_letter(site: Installation, server: SmtpServer) -> None:
    """The server kills the sender (one connection) while it waits for the reply to letter
    K, and never accepts that letter: after the rerun every reader has exactly one letter,
    and letter K's delivery is the one marked in doubt."""
    victim = 150
    sender: list[subprocess.Popen[str]] = []
    killed: list[str] = []

    def kill_during_data(number: int, envelope: Any) -> str | None:
        if number != victim:
            return None
        sender[0].send_signal(signal.SIGKILL)
        sender[0].wait(timeout=10)
        killed.extend(envelope.rcpt_tos)
        server.handler.hook = None
        return "451 4.3.0 Too late: the sender is gone"

    server.handler.hook = kill_during_data
    sender.append(site.send("--connections", "1"))
    _stdout, stderr = sender[0].communicate(timeout=60)
    assert sender[0].returncode == -signal.SIGKILL, stderr[-3000:]
    assert len(server.received()) == victim - 1

    stdout = finish(site.send("--connections", "1"))
    assert "Resuming edition" in stdout

    received = server.per_recipient()
    assert set(received) == site.audience()
    assert set(received.values()) == {1}
    deliveries = site.deliveries()
    assert {status for status, _error in deliveries.values()} == {"sent"}
    assert [email for email, (_s, error) in deliveries.items() if error == IN_DOUBT] == killed
    message_ids = Counter(m.parse()["Message-ID"] for m in server.received())
    assert len(message_ids) == ENGLISH


def test_two_senders_started_at_once_send_each_letter_once(
    site: Installation, server: SmtpServer
) -> None:
    """Two operators (or an operator and the worker) start the same edition at the same
    moment, each with two connections, against a slowish server: a claim of letters takes
    longer than the lease, so each sender must keep its claims alive while it works."""
    server.handler.delay = 0.012
    senders = [site.send("--connections", "2") for _ in range(2)]
    outputs = [sender.communicate(timeout=120) for sender in senders]

    for sender, (_stdout, stderr) in zip(senders, outputs, strict=True):
        # One of them may come so late that the edition is done: it says so and does nothing.
        assert sender.returncode == 0 or "sent already" in stderr, stderr[-3000:]
    assert sum(f"to {ENGLISH:,} subscribers" in stdout for stdout, _ in outputs) == 1
    received = server.per_recipient()
    assert set(received) == site.audience()
    assert set(received.values()) == {1}
    deliveries = site.deliveries()
    assert {status for status, _error in deliveries.values()} == {"sent"}
    assert not [email for email, (_s, error) in deliveries.items() if error]
