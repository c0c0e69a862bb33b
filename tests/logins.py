"""Staff sign in to the admin in tests as they do for real: the password on the login page,
then the code of an authenticator app on the second-factor page."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "a long staff password"
APP = "Test authenticator"


def authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The user's authenticator app (one is made the first time)."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name=APP, defaults={"confirmed": True})
    return device


def app_code(device: TOTPDevice, steps_later: int = 0) -> str:
    """The code the app shows now (or ``steps_later`` time steps from now)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_later * device.step
    if totp.t() <= device.last_t:  # this step's code was used: the app shows the next soon
        return app_code(device, steps_later + 1)
    return f"{totp.token():0{device.digits}d}"


def log_in(client: Client, user: Any, password: str | None = None) -> None:
    """Sign ``user`` in through the admin's login page and its second step. Without a
    ``password``, the user is given the tests' staff password first."""
    if password is None:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        password = PASSWORD
    device = authenticator(user)
    client.get("/admin/login/")  # the form's CSRF cookie, for clients that check it
    response = client.post(
        "/admin/login/",
        {
            "username": user.get_username(),
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302, "the password was refused"
    response = client.post(
        "/admin/2fa/verify/",
        {
            "code": app_code(device),
            "next": "/admin/",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,  # rotated at sign-in
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/"), response
