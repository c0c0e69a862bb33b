"""What changes a staff member's second factors: adding an authenticator app, new recovery
codes, removing a factor, and an administrator's reset."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.utils import get_credential_model
from wagtail.log_actions import log

RECOVERY_CODES = 10
# Letters only, none that reads as another: a recovery code is never taken for an app's digits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz"
RECOVERY_LENGTH = 10
RECOVERY_NAME = "Recovery codes"
RESET_ACTION = "samizdat.staff.reset_2fa"


class LastFactor(Exception):
    """Removing this factor would leave the account without a passkey or an app."""


def normalise_code(text: str) -> str:
    """A code as typed (spaces, dashes, capitals) as it is stored."""
    return "".join(text.split()).replace("-", "").lower()


def shown_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def app_code_matches(*, key: str, code: str) -> int | None:
    """The time step at which ``code`` is the code of a new app's ``key`` (hex), or None.
    Accepts the step before and after, for clocks a little off."""
    device = TOTPDevice(key=key)
    code = normalise_code(code)
    if not code.isdigit() or len(code) != device.digits:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time()
    return totp.t() if totp.verify(int(code), tolerance=1) else None


@transaction.atomic
def add_authenticator_app(*, user_id: int, key: str, name: str, last_step: int) -> TOTPDevice:
    """A confirmed app device for ``key``; the code that confirmed it (``last_step``) cannot
    be used again."""
    return TOTPDevice.objects.create(
        user_id=user_id, name=name, key=key, confirmed=True, last_t=last_step
    )


@transaction.atomic
def new_recovery_codes(*, user_id: int) -> list[str]:
    """Ten new single-use recovery codes for the user; the old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user_id=user_id, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify_code(*, user: AbstractBaseUser, code: str) -> tuple[Device | None, bool]:
    """The device whose code this is (an app's digits or a recovery code, used up), and
    whether a device that might have matched refuses for now after too many wrong codes.
    Each code is tried only on the devices of its kind, so a wrong kind counts no failure."""
    code = normalise_code(code)
    kind: type[Device] = TOTPDevice if code.isdigit() else StaticDevice
    throttled = False
    for device in kind.objects.filter(user=user, confirmed=True):
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if device.verify_token(code):
            return device, False
    return None, throttled


def _factors(user_id: int) -> list[Device]:
    """The passkeys and apps of the user (recovery codes alone are not a factor to keep)."""
    credentials = get_credential_model().objects.filter(user_id=user_id, confirmed=True)
    return [*credentials, *TOTPDevice.objects.filter(user_id=user_id, confirmed=True)]


@transaction.atomic
def remove_factor(*, user_id: int, persistent_id: str) -> str:
    """Remove one of the user's passkeys or apps (never the last one); its name."""
    factors = _factors(user_id)
    found = [device for device in factors if device.persistent_id == persistent_id]
    if not found:
        raise LookupError(persistent_id)
    if len(factors) == 1:
        raise LastFactor
    name = str(found[0].name)
    found[0].delete()
    return name


@dataclass(frozen=True)
class Reset:
    passkeys: int
    apps: int
    recovery_codes: int


@transaction.atomic
def reset_second_factor(*, user_id: int, by_user_id: int | None = None) -> Reset:
    """Remove every second factor of the user, who enrols again at the next sign-in; the
    reset is written in the admin's audit log of that user."""
    User = get_user_model()
    user = User.objects.get(pk=user_id)
    credentials = get_credential_model().objects.filter(user_id=user_id)
    recovery = StaticToken.objects.filter(device__user_id=user_id)
    reset = Reset(
        passkeys=credentials.count(),
        apps=TOTPDevice.objects.filter(user_id=user_id).count(),
        recovery_codes=recovery.count(),
    )
    credentials.delete()
    TOTPDevice.objects.filter(user_id=user_id).delete()
    StaticDevice.objects.filter(user_id=user_id).delete()
    by = User.objects.get(pk=by_user_id) if by_user_id is not None else None
    log(
        user,
        RESET_ACTION,
        user=by,
        data={
            "passkeys": reset.passkeys,
            "apps": reset.apps,
            "recovery_codes": reset.recovery_codes,
        },
    )
    return reset
