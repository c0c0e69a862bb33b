"""Demo accounts sign in like everyone else: with an authenticator app, whose key
``samizdat demo`` prints beside the password."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_APP = "Demo authenticator"


def authenticator_key(user: Any) -> str:
    """The demo account's app key (base32, as apps take it), made once."""
    device = TOTPDevice.objects.filter(user=user, name=DEMO_APP).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEMO_APP, confirmed=True)
    return b32encode(device.bin_key).decode().rstrip("=")
