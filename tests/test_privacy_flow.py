"""A reader's whole way through the site leaves their address in no log and, in the clear, in
no table, and the links that acted for them in no log and no table.

The reader signs up, confirms, gives monthly through the demo provider, asks for the link to
manage the gift and uses it, then unsubscribes; the tasks run in a real database worker. Then
every log record (at DEBUG) and every row of every table is searched for the address and the
tokens. The outbox is the mail itself, and is not searched.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from urllib.request import urlopen

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoDbBlocker

from samizdat.newsletter.mail import unsubscribe_token
from samizdat.newsletter.models import Subscriber
from tests.databases import copy_sqlite, create_postgres, drop_postgres

ADDRESS = "Olga.Reader@Example.org"
# The tables that hold a reader's address, encrypted: the subscriber, and the donor's gifts
# (each payment and the recurring gift, for receipts and "manage my gift").
TABLES_WITH_THE_ADDRESS = {
    "newsletter_subscriber",
    "donations_donation",
    "donations_recurringgift",
}


class Everything(logging.Handler):
    """Every record, as the code wrote it (before any handler's filter rewrites it)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def every_log_record() -> Iterator[Everything]:
    root = logging.getLogger()
    handler = Everything()
    level = root.level
    root.handlers.insert(0, handler)  # first: the others' filters must not clean it for us
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.handlers.remove(handler)
        root.setLevel(level)


def run_tasks() -> None:
    """What `samizdat worker` does with queued tasks, until none is left."""
    call_command("worker", batch=True, no_periodic_jobs=True, verbosity=0)


def link(pattern: str) -> re.Match[str]:
    found = re.search(pattern, str(mail.outbox[-1].body))
    assert found, mail.outbox[-1].body
    return found


def every_row() -> dict[str, str]:
    """Each table's rows as one lower-case text."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own table names
            tables[table] = repr(cursor.fetchall()).lower()
    return tables


@pytest.mark.django_db(transaction=True)
def test_the_address_and_the_links_stay_out_of_logs_and_tables(
    settings: Any, every_log_record: Everything
) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": list(settings.TASK_QUEUES),
        }
    }
    settings.DEBUG = True  # the demo provider, which takes the gift, exists only in debug mode
    settings.DONATIONS_DEMO = True
    reader = Client(enforce_csrf_checks=True)
    tokens: list[str] = []

    # Sign up and confirm.
    signup = {"email": ADDRESS, "language": "en", "consent": "yes", "form": "article",
              "website": "", "altcha": ""}  # fmt: skip
    assert reader.post("/newsletter/subscribe/", signup).status_code == 200
    run_tasks()
    confirm = link(r"http://testserver(/newsletter/confirm/\?token=([\w-]+))\s")
    tokens.append(confirm.group(2))
    assert reader.get(confirm.group(1)).status_code == 200
    assert "You are subscribed" in reader.post(confirm.group(1)).content.decode()

    # Give monthly; the receipt comes.
    start = reader.post("/donate/", {"language": "en", "frequency": "monthly", "currency": "USD",
                                     "custom_amount": "5", "provider": "demo", "email": ADDRESS,
                                     "name": ""})  # fmt: skip
    assert start.status_code == 303, start.content.decode()[:1000]
    assert reader.post(start["Location"]).status_code == 303
    run_tasks()
    assert "Receipt" in mail.outbox[-1].subject

    # Ask for the link to manage the gift, and open the provider's page with it.
    assert reader.post("/donate/manage/", {"email": ADDRESS, "language": "en"}).status_code == 200
    run_tasks()
    manage = link(r"http://testserver(/donate/manage/gifts/\?token=([\w-]+))\s")
    tokens.append(manage.group(2))
    page = reader.get(manage.group(1)).content.decode()
    gift = re.search(r'name="gift" value="(\d+)"', page)
    assert gift is not None
    to_provider = reader.post("/donate/manage/gifts/", {"token": manage.group(2),
                                                        "gift": gift.group(1)})  # fmt: skip
    assert to_provider.status_code == 303

    # Unsubscribe with the link every letter carries.
    subscriber = Subscriber.objects.get()
    tokens.append(unsubscribe_token(subscriber.pk))
    response = reader.post(f"/newsletter/unsubscribe/?token={tokens[-1]}",
                           data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200
    run_tasks()

    secrets = [ADDRESS.lower(), *tokens, *(quote(token) for token in tokens)]
    # No log record, at any level.
    logged = "\n".join(every_log_record.lines)
    assert logged, "the flow logs something (else this test would prove nothing)"
    for secret in secrets:
        assert secret not in logged.lower()
    # No table holds the address in the clear (those that keep it, encrypted, do find it);
    # tokens are in none (their digests at most).
    tables = every_row()
    assert set(tables) >= TABLES_WITH_THE_ADDRESS
    assert Subscriber.objects.filter(email=ADDRESS).exists()
    for name, rows in tables.items():
        for secret in secrets:
            assert secret not in rows, (name, secret[:8])
    # The tasks that ran got ids (the table is searched above for the address and tokens).
    tasks = tables[DBTaskResult._meta.db_table]
    assert "send_manage_link" in tasks and "send_confirmation" in tasks
    assert "link_id" in tasks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_access_log_of_samizdat_serve_has_paths_without_tokens(
    tmp_path: Path, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> None:
    """`samizdat serve`'s access log: method, path, status; no query string, no client."""
    samizdat = str(Path(sys.executable).with_name("samizdat"))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SAMIZDAT_DATA_DIR": str(tmp_path),
        "SAMIZDAT_SECRET_KEY": "access-log-test-" + "x" * 40,
        "SAMIZDAT_DATA_KEY": os.environ["SAMIZDAT_DATA_KEY"],
        "SAMIZDAT_LOOKUP_KEY": os.environ["SAMIZDAT_LOOKUP_KEY"],
        "SAMIZDAT_ALLOWED_HOSTS": "127.0.0.1",
        "SAMIZDAT_SSL_REDIRECT": "0",
    }
    # A copy of the migrated test database: `migrate` then finds nothing left to apply.
    admin_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
    name = f"{urlsplit(admin_url).path.lstrip('/')}_access_log_{uuid.uuid4().hex[:8]}"
    if admin_url:
        env["SAMIZDAT_DATABASE_URL"] = create_postgres(admin_url, name, django_db_blocker)
    else:
        copy_sqlite(tmp_path / "samizdat.sqlite3", django_db_blocker)
    migrate = subprocess.run([samizdat, "migrate", "-v0"], env=env, capture_output=True,
                             text=True, timeout=600, check=False)  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [samizdat, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        token = "SecretToken" + "x" * 32
        paths = [
            f"/newsletter/confirm/?token={token}",
            f"/newsletter/unsubscribe/?token={token}",
            f"/donate/manage/gifts/?token={token}",
            f"/donate/transfer/?token={token}",
            f"/donate/manage/?email={quote(ADDRESS)}",
        ]
        deadline = time.monotonic() + 60
        while True:
            try:
                urlopen(f"http://127.0.0.1:{port}/newsletter/ping/", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                assert server.poll() is None, log.read_text()
                time.sleep(0.3)
        for path in paths:
            with contextlib.suppress(OSError):  # 4xx: the links are not valid here
                urlopen(f"http://127.0.0.1:{port}{path}", timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if admin_url:
            drop_postgres(admin_url, name)
    text = log.read_text()
    for path in paths:
        assert f'"GET {path.split("?")[0]}" ' in text, text  # every request is logged…
    assert token not in text and ADDRESS.lower() not in text.lower()  # …without its query
    assert "127.0.0.1" not in text.replace(f"127.0.0.1:{port}", "")  # nor who asked
