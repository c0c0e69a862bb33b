"""``samizdat staff reset-2fa``: an administrator clears a colleague's lost factors."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import ModelLogEntry

from samizdat.staff import actions
from tests.logins import PASSWORD, authenticator, log_in

pytestmark = pytest.mark.django_db


def test_reset_removes_every_factor_and_the_user_enrols_again(client: Client) -> None:
    user = User.objects.create_user("anna", "anna@example.org", PASSWORD, is_staff=True)
    user.is_superuser = True
    user.save()
    log_in(client, user, password=PASSWORD)
    actions.new_recovery_codes(user_id=user.pk)
    TOTPDevice.objects.create(user=user, name="Spare phone", confirmed=True)

    out = StringIO()
    call_command("staff", "reset-2fa", "anna", stdout=out)
    assert "Removed from anna: 0 passkey(s), 2 authenticator app(s), 10 unused recovery" in (
        out.getvalue()
    )
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()

    # The session verified with a removed factor is verified no longer: it must enrol anew.
    assert client.get("/admin/")["Location"].startswith("/admin/2fa/add/")
    fresh = Client()
    fresh.post("/admin/login/", {"username": "anna", "password": PASSWORD})
    assert fresh.get("/admin/pages/")["Location"].startswith("/admin/2fa/add/")

    entry = ModelLogEntry.objects.get(action=actions.RESET_ACTION)
    assert entry.content_type == ContentType.objects.get_for_model(User)
    assert entry.object_id == str(user.pk) and entry.label == "anna"
    assert entry.data == {"passkeys": 0, "apps": 2, "recovery_codes": 10}
    assert "anna@example.org" not in str(entry.data) + entry.label

    log_in(client, user, password=PASSWORD)
    history = client.get(f"/admin/users/history/{user.pk}/").content.decode()
    assert "Reset two-factor authentication" in history


def test_reset_of_an_unknown_user_says_so() -> None:
    authenticator(User.objects.create_user("anna", "anna@example.org", PASSWORD))
    with pytest.raises(CommandError, match="No user is called 'ghost'"):
        call_command("staff", "reset-2fa", "ghost")
    assert TOTPDevice.objects.count() == 1
