"""Signing in to the admin: failed attempts are throttled by account and by client address,
the right password is refused while locked, and every sign-in, failure and lockout is in the
audit log, where staff see their own."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from wagtail.models import ModelLogEntry

PASSWORD = "a long staff password"
LOGIN = "/admin/login/"
LOCKED = "Too many failed sign-in attempts"
WRONG = "Your username and password didn"
HERE = "198.51.100.7"
THERE = "203.0.113.9"


@pytest.fixture
def anna(db: Any) -> User:
    return User.objects.create_user("anna", "anna@example.org", PASSWORD, is_staff=True,
                                    is_superuser=True)  # fmt: skip


def sign_in(client: Client, username: str, password: str, address: str = HERE) -> str:
    response = client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)
    if response.status_code == 302:
        return "signed in"
    assert response.status_code == 200
    html = response.content.decode()
    if LOCKED in html:
        return "locked"
    assert WRONG in html
    return "wrong"


def entries(action: str) -> list[ModelLogEntry]:
    return list(ModelLogEntry.objects.filter(action=action).order_by("pk"))


@pytest.mark.parametrize("shared_cache", [False, True], ids=["database", "cache"])
def test_five_failures_lock_the_account_even_against_the_right_password(
    client: Client, anna: User, monkeypatch: pytest.MonkeyPatch, settings: Any, shared_cache: bool
) -> None:
    # The counts live in the database, or in the cache shared by every process with Redis
    # (here the test's own cache stands in for it).
    settings.REDIS_URL = "redis://127.0.0.1:6379/2" if shared_cache else ""
    outcomes = [sign_in(client, "anna", f"guess {n}") for n in range(40)]
    assert outcomes[:4] == ["wrong"] * 4
    assert outcomes[4:] == ["locked"] * 36  # the fifth failure locks; the rest is refused
    assert sign_in(client, "anna", PASSWORD) == "locked"
    assert sign_in(client, "anna", PASSWORD, address=THERE) == "locked"  # from anywhere
    response = client.post(LOGIN, {"username": "anna", "password": PASSWORD})
    assert "paused for 15 minutes, even with the right password" in response.content.decode()
    assert client.get("/admin/").status_code == 302  # still not signed in

    # Five failures and the lockout are recorded; refused attempts add nothing.
    failed, locked = entries("staff.login_failed"), entries("staff.locked_out")
    assert [(e.object_id, e.label) for e in failed] == [(str(anna.pk), "anna")] * 5
    assert len(locked) == 1 and locked[0].object_id == str(anna.pk)
    assert locked[0].message == (
        "Signing in to this account paused for 15 minutes after 5 failed attempts"
    )
    assert not entries("staff.login")

    # Another account is not affected, and a quarter of an hour later anna is back.
    User.objects.create_user("boris", password=PASSWORD, is_staff=True)
    assert sign_in(Client(), "boris", PASSWORD, address=THERE) == "signed in"
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert sign_in(client, "anna", PASSWORD) == "signed in"


def test_a_success_starts_the_account_count_again(client: Client, anna: User) -> None:
    for n in range(4):
        assert sign_in(client, "anna", f"guess {n}") == "wrong"
    assert sign_in(client, "anna", PASSWORD) == "signed in"
    client.logout()
    for n in range(4):
        assert sign_in(client, "anna", f"typo {n}") == "wrong"
    assert sign_in(client, "anna", PASSWORD) == "signed in"


def test_one_address_trying_many_names_is_stopped(
    client: Client, anna: User, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_CLIENT = 20
    names = [f"guess{n}@example.org" for n in range(20)]
    assert [sign_in(client, name, "password") for name in names] == ["wrong"] * 19 + ["locked"]
    # The address is stopped, even for an account that had no failure, with its password…
    assert sign_in(client, "anna", PASSWORD) == "locked"
    # …while the same account from another address signs in.
    assert sign_in(Client(), "anna", PASSWORD, address=THERE) == "signed in"

    # Names that are no account are not written down: people type passwords there.
    failed = entries("staff.login_failed")
    assert len(failed) == 20 and {e.label for e in failed} == {"unknown account"}
    (locked,) = entries("staff.locked_out")
    assert locked.message == (
        "Signing in from one address paused for 15 minutes after 20 failed attempts from it"
    )
    logged = [repr((e.label, e.data, e.object_id)) for e in ModelLogEntry.objects.all()]
    assert not [line for line in logged if "guess" in line or HERE in line or THERE in line]


def test_every_other_way_of_signing_in_is_locked_too(client: Client, anna: User) -> None:
    for n in range(5):
        sign_in(client, "anna", f"guess {n}")
    request = RequestFactory().post("/elsewhere/", REMOTE_ADDR=THERE)
    assert authenticate(request, username="anna", password=PASSWORD) is None
    assert not Client().login(username="anna", password=PASSWORD)
    assert len(entries("staff.login_failed")) == 5  # refusals while locked are not counted


def test_staff_see_their_own_recent_sign_ins_on_the_dashboard(client: Client, anna: User) -> None:
    boris = User.objects.create_user("boris", password=PASSWORD, is_staff=True)
    sign_in(Client(), "boris", "wrong password")
    sign_in(client, "anna", "wrong password")
    assert sign_in(client, "anna", PASSWORD) == "signed in"

    html = client.get("/admin/").content.decode()
    assert "Your recent sign-ins" in html
    assert "If one of these was not you, change your password now" in html
    panel = html[html.index('id="recent-sign-ins-section"') :]
    assert panel.count("staff-sign-in--login_failed") == 1  # anna's, not boris's
    assert panel.count('staff-sign-in--login"') == 1
    assert "Signed in" in panel and "Failed sign-in" in panel

    # Reports → Site history has everyone's, for who may see accounts.
    history = client.get("/admin/reports/site-history/").content.decode()
    assert history.count("Failed sign-in") >= 2 and "Signed in" in history
    assert boris.get_username() in history


def test_a_sign_in_on_a_fresh_account_shows_just_that(client: Client, anna: User) -> None:
    client.force_login(anna)
    html = client.get("/admin/").content.decode()
    panel = html[html.index('id="recent-sign-ins-section"') :]
    assert "Signed in" in panel and "Failed sign-in" not in panel
