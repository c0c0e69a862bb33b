"""What production refuses, checked as an operator meets it: `samizdat check --deploy`,
`samizdat serve` and `samizdat worker` run as processes of their own with production settings
on an installation of their own (a copy of the migrated test database). A production setup is
clean; accounts with the demo's published password, a guessable secret key and the demo's
data folder are each an error, with what to do."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytest_django import DjangoDbBlocker

from samizdat.core.management.commands.demo import DEMO_MARKER, DEMO_PASSWORD
from tests.databases import copy_sqlite, create_postgres, drop_postgres

SAMIZDAT = str(Path(sys.executable).with_name("samizdat"))


@pytest.fixture
def installation(
    tmp_path: Path, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[dict[str, str]]:
    """The environment of a production installation with its own migrated database."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SAMIZDAT_DATA_DIR": str(tmp_path),
        "SAMIZDAT_SECRET_KEY": secrets.token_urlsafe(50),
        "SAMIZDAT_DATA_KEY": os.environ["SAMIZDAT_DATA_KEY"],
        "SAMIZDAT_LOOKUP_KEY": os.environ["SAMIZDAT_LOOKUP_KEY"],
        "SAMIZDAT_ALLOWED_HOSTS": "news.example.org",
        "SAMIZDAT_SITE_URL": "https://news.example.org",
        "SAMIZDAT_EMAIL_URL": "submission://newsroom:secret@smtp.example.org",
    }
    admin_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
    name = f"{urlsplit(admin_url).path.lstrip('/')}_deploy_{uuid.uuid4().hex[:8]}"
    if admin_url:
        env["SAMIZDAT_DATABASE_URL"] = create_postgres(admin_url, name, django_db_blocker)
    else:
        copy_sqlite(tmp_path / "samizdat.sqlite3", django_db_blocker)
    try:
        yield env
    finally:
        if admin_url:
            drop_postgres(admin_url, name)


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAMIZDAT, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env["HOME"],
        check=False,
    )


def add_account(env: dict[str, str], username: str, password: str, active: bool = True) -> None:
    code = (
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user({username!r}, password={password!r}, is_staff=True, "
        f"is_active={active!r})"
    )
    done = run("shell", "-c", code, env=env)
    assert done.returncode == 0, done.stderr


def check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run("check", "--deploy", "--fail-level", "WARNING", env=env)


def test_a_production_installation_is_clean(installation: dict[str, str]) -> None:
    add_account(installation, "chief", "a long and private staff password")
    done = check(installation)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "identified no issues" in done.stdout


def test_accounts_with_the_demo_password_are_an_error(installation: dict[str, str]) -> None:
    add_account(installation, "admin", DEMO_PASSWORD)
    add_account(installation, "editor", DEMO_PASSWORD, active=False)  # cannot sign in
    add_account(installation, "chief", "a long and private staff password")
    done = check(installation)
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "ERRORS:" in output and "samizdat.core.E001" in output
    assert "These accounts still have the demo password, which is published: admin." in output
    assert "samizdat changepassword NAME" in output


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("short-but-random-" + secrets.token_hex(8), "characters long; it needs at least 50"),
        ("ab" * 40, "has fewer than 5 different characters"),
        ("django-insecure-" + secrets.token_urlsafe(40), "contains 'insecure'"),
    ],
    ids=["short", "few-characters", "placeholder"],  # the same in every xdist worker
)
def test_a_guessable_secret_key_stops_every_command(
    installation: dict[str, str], key: str, problem: str
) -> None:
    env = installation | {"SAMIZDAT_SECRET_KEY": key}
    for command in (["check", "--deploy"], ["serve"], ["worker"]):
        done = run(*command, env=env)
        assert done.returncode == 1, command
        assert done.stderr.strip().count("\n") == 0, done.stderr  # one line, no traceback
        assert done.stderr.startswith("samizdat: SAMIZDAT_SECRET_KEY ") and problem in done.stderr
        assert "secrets.token_urlsafe(50)" in done.stderr


def test_the_demos_data_folder_is_refused_without_debug(installation: dict[str, str]) -> None:
    (Path(installation["SAMIZDAT_DATA_DIR"]) / DEMO_MARKER).write_text("made by the demo\n")
    for command in ("serve", "worker"):
        done = run(command, env=installation)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "was made by `samizdat demo`" in done.stderr
        assert f"`samizdat {command}` does not run on it with debug off" in done.stderr
        assert "point SAMIZDAT_DATA_DIR at an empty folder" in done.stderr
    done = check(installation)
    assert done.returncode == 1 and "samizdat.core.E003" in done.stdout + done.stderr
    # The site itself, however it is served (gunicorn or runserver by hand), refuses too.
    code = "import samizdat.wsgi"
    env = installation | {"DJANGO_SETTINGS_MODULE": "samizdat.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
        cwd=installation["HOME"], check=False,
    )  # fmt: skip
    assert done.returncode == 1 and "was made by `samizdat demo`" in done.stderr


def test_several_machines_without_a_mail_server_are_warned(installation: dict[str, str]) -> None:
    """The outbox is per machine: with a shared cache (several machines) and no mail server, a
    reader's confirmation would stay on whichever node sent it."""
    add_account(installation, "chief", "a long and private staff password")
    several = installation | {"SAMIZDAT_REDIS_URL": "redis://127.0.0.1:6379/7"}
    assert check(several).returncode == 0  # with SAMIZDAT_EMAIL_URL: nothing to say
    del several["SAMIZDAT_EMAIL_URL"]
    done = check(several)
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "samizdat.core.W001" in output
    assert "SAMIZDAT_REDIS_URL is set" in output and "SAMIZDAT_EMAIL_URL is not" in output
    one_machine = installation.copy()
    del one_machine["SAMIZDAT_EMAIL_URL"]
    alone = check(one_machine)  # one machine reads its own outbox (another check warns)
    assert "samizdat.core.W001" not in alone.stdout + alone.stderr
