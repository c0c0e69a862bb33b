"""``samizdat check --deploy``: the admin must not run without its second factor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from samizdat.staff.passkeys import passkeys_possible

REQUIRED = [
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "samizdat.staff.middleware.require_second_factor",
]


@register(Tags.security, deploy=True)
def second_factor_required(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    middleware = list(settings.MIDDLEWARE)
    positions = [middleware.index(name) if name in middleware else -1 for name in REQUIRED]
    problems: list[CheckMessage] = []
    if -1 in positions or positions != sorted(positions):
        problems.append(
            Error(
                "Staff can reach the admin with a password alone: two-factor authentication "
                "is switched off.",
                hint="MIDDLEWARE needs, in this order: " + ", ".join(REQUIRED) + ".",
                id="samizdat.staff.E001",
            )
        )
    if not passkeys_possible():
        problems.append(
            Warning(
                f"SAMIZDAT_SITE_URL ({settings.SITE_URL}) is not an https:// address: browsers "
                "offer no passkeys there, so staff can only use authenticator apps, whose "
                "codes can be phished.",
                hint="Serve the site over https:// and set SAMIZDAT_SITE_URL to that address.",
                id="samizdat.staff.W001",
            )
        )
    return problems
