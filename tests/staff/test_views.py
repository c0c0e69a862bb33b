"""The admin is closed to a password alone: every page asks for the second factor first (or,
for an account without one, for setting one up), and the factor's codes work as promised."""

from __future__ import annotations

import re
import time
from base64 import b32encode
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from samizdat.staff import actions
from tests.logins import PASSWORD, app_code, authenticator, log_in

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/admin/", "/admin/pages/", "/admin/account/", "/admin/2fa/", "/admin/users/"]


def editor(username: str = "editor") -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def password_only(client: Client, user: User, password: str = PASSWORD) -> None:
    response = client.post("/admin/login/", {"username": user.username, "password": password})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_no_admin_page_opens_after_the_password_alone(client: Client) -> None:
    user = editor()
    authenticator(user)
    password_only(client, user)

    for page in ADMIN_PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/admin/2fa/verify/?next="), page
    # Nor can a password-only session make recovery codes or add a factor.
    assert client.post("/admin/2fa/recovery-codes/")["Location"].startswith("/admin/2fa/verify/")
    assert client.get("/admin/2fa/add/")["Location"].startswith("/admin/2fa/verify/")
    assert not StaticToken.objects.exists()
    page = client.get("/admin/2fa/verify/?next=/admin/pages/").content.decode()
    assert "Confirm it is you" in page and 'value="/admin/pages/"' in page


def test_app_code_lets_in_and_a_wrong_one_does_not(client: Client) -> None:
    user = editor()
    device = authenticator(user)
    password_only(client, user)

    wrong = client.post("/admin/2fa/verify/", {"code": "000000", "next": "/admin/pages/"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert client.get("/admin/")["Location"].startswith("/admin/2fa/verify/")

    time.sleep(1.1)  # django-otp holds back the next try a second after a wrong code
    right = client.post("/admin/2fa/verify/", {"code": app_code(device), "next": "/admin/pages/"})
    assert (right.status_code, right["Location"]) == (302, "/admin/pages/")
    for page in ADMIN_PAGES[:4]:
        assert client.get(page).status_code == 200, page


def test_a_used_app_code_and_a_foreign_next_are_refused(client: Client) -> None:
    user = editor()
    device = authenticator(user)
    code = app_code(device)
    log_in(client, user, password=PASSWORD)
    client.post("/admin/logout/")

    password_only(client, user)
    again = client.post("/admin/2fa/verify/", {"code": code})
    assert "That code is not right" in again.content.decode()

    time.sleep(1.1)
    elsewhere = client.post(
        "/admin/2fa/verify/", {"code": app_code(device), "next": "https://evil.example/"}
    )
    assert elsewhere["Location"] == "/admin/"


def test_repeated_wrong_codes_are_held_back(client: Client) -> None:
    user = editor()
    device = authenticator(user)
    password_only(client, user)
    client.post("/admin/2fa/verify/", {"code": "111111"})

    held = client.post("/admin/2fa/verify/", {"code": app_code(device)})
    assert "Too many wrong codes" in held.content.decode()
    assert client.get("/admin/").status_code == 302


def test_recovery_code_works_once(client: Client) -> None:
    user = editor()
    authenticator(user)
    codes = actions.new_recovery_codes(user_id=user.pk)
    assert len(codes) == 10 and len(set(codes)) == 10

    password_only(client, user)
    typed = actions.shown_code(codes[3]).upper()  # as printed, in capitals
    response = client.post("/admin/2fa/verify/", {"code": typed}, follow=True)
    assert response.redirect_chain[0] == ("/admin/", 302)
    assert "9 are left" in response.content.decode()
    client.post("/admin/logout/")

    password_only(client, user)
    again = client.post("/admin/2fa/verify/", {"code": codes[3]})
    assert "That code is not right" in again.content.decode()
    time.sleep(1.1)
    other = client.post("/admin/2fa/verify/", {"code": codes[4]})
    assert other.status_code == 302 and client.get("/admin/").status_code == 200


def test_first_sign_in_sets_up_an_app_and_shows_recovery_codes(client: Client) -> None:
    user = editor()
    password_only(client, user)
    for page in ADMIN_PAGES:
        assert client.get(page)["Location"].startswith("/admin/2fa/add/?next="), page
    assert client.get("/admin/2fa/verify/")["Location"].startswith("/admin/2fa/add/")

    page = client.get("/admin/2fa/add/?next=/admin/pages/").content.decode()
    assert "Set up your second factor" in page
    assert "<svg" in page and "<script>" not in page  # the QR code is drawn here, inline
    key = re.search(r'<code id="app-key">([A-Z2-7 ]+)</code>', page)
    assert key is not None
    secret = key.group(1).replace(" ", "")
    app = TOTPDevice(key=client.session["staff_2fa_new_app_key"])
    totp = TOTP(app.bin_key)
    totp.time = time.time()
    code = f"{totp.token():06d}"
    assert b32encode(app.bin_key).decode().rstrip("=") == secret

    wrong = client.post("/admin/2fa/add/", {"code": "123456", "name": "Phone", "next": "/"})
    assert "That code does not match" in wrong.content.decode()
    assert not TOTPDevice.objects.exists()

    done = client.post("/admin/2fa/add/", {"code": code, "name": "Phone", "next": "/admin/pages/"})
    shown = re.findall(r"<li><code>([a-z]{5}-[a-z]{5})</code></li>", done.content.decode())
    assert len(shown) == 10
    assert 'href="/admin/pages/"' in done.content.decode()
    assert TOTPDevice.objects.get(user=user).name == "Phone"
    assert client.get("/admin/pages/").status_code == 200

    client.post("/admin/logout/")
    password_only(client, user)
    assert client.get("/admin/")["Location"].startswith("/admin/2fa/verify/")
    recovered = client.post("/admin/2fa/verify/", {"code": shown[0]})
    assert recovered.status_code == 302 and client.get("/admin/").status_code == 200


def test_password_reset_does_not_skip_the_second_factor(client: Client) -> None:
    user = editor()
    authenticator(user)
    client.post("/admin/password_reset/", {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(
        r"https?://[^/\s]+(/admin/password_reset/confirm/\S+)", str(mail.outbox[0].body)
    )
    assert link is not None
    form = client.get(link.group(1), follow=True)
    set_password = form.redirect_chain[-1][0]
    new = "another long staff password"
    done = client.post(set_password, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302

    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    password_only(client, user, password=new)
    for page in ADMIN_PAGES:
        assert client.get(page)["Location"].startswith("/admin/2fa/verify/"), page


def test_staff_manage_their_own_factors(client: Client) -> None:
    user = editor()
    log_in(client, user)
    first = authenticator(user)
    codes = actions.new_recovery_codes(user_id=user.pk)

    page = client.get("/admin/2fa/").content.decode()
    assert "Test authenticator" in page and "10 unused recovery codes" in page
    assert "Two-factor authentication" in client.get("/admin/account/").content.decode()

    refused = client.post("/admin/2fa/remove/", {"device": first.persistent_id}, follow=True)
    assert "This is your only passkey or app" in refused.content.decode()
    assert TOTPDevice.objects.filter(pk=first.pk).exists()

    someone = authenticator(editor("reporter"))
    foreign = client.post("/admin/2fa/remove/", {"device": someone.persistent_id}, follow=True)
    assert "not one of yours" in foreign.content.decode()
    assert TOTPDevice.objects.filter(pk=someone.pk).exists()

    second = TOTPDevice.objects.create(user=user, name="Old phone", confirmed=True)
    removed = client.post("/admin/2fa/remove/", {"device": second.persistent_id}, follow=True)
    assert "“Old phone” was removed." in removed.content.decode()
    assert not TOTPDevice.objects.filter(pk=second.pk).exists()

    fresh = client.post("/admin/2fa/recovery-codes/", {"next": "/admin/2fa/"}).content.decode()
    new_codes = re.findall(r"<code>([a-z]{5}-[a-z]{5})</code>", fresh)
    assert len(new_codes) == 10
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert stored == {code.replace("-", "") for code in new_codes}
    assert not stored & set(codes)  # the old ones no longer work


def test_a_password_only_session_is_not_signed_in_on_the_public_site(
    client: Client, site_tree: Any
) -> None:
    user = editor()
    authenticator(user)
    password_only(client, user)
    # Outside the admin too, a session without its second factor counts as not signed in.
    response = client.get("/en/")
    assert response.status_code == 200
    assert response.wsgi_request.user.is_anonymous
