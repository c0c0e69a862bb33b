"""The passkeys' relying party, derived from ``SITE_URL`` and ``SITE_NAME`` when a passkey is
registered or used (so the site's address is the one place that names it)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django_otp_webauthn.helpers import WebAuthnHelper


def site_origin() -> str:
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}".lower()


def relying_party_id(request: HttpRequest | None = None) -> str:
    """The host of the site's address: passkeys are bound to it (and its subdomains)."""
    return (urlsplit(settings.SITE_URL).hostname or "").lower()


def relying_party_name(request: HttpRequest | None = None) -> str:
    return str(settings.SITE_NAME)


def passkeys_possible() -> bool:
    """Browsers offer passkeys only in a secure context: https://, or http://localhost."""
    origin = site_origin()
    return origin.startswith("https://") or relying_party_id() == "localhost"


class Helper(WebAuthnHelper):
    """django-otp-webauthn's helper, with the origin taken from ``SITE_URL`` at each ceremony."""

    def get_allowed_origins(self) -> list[str]:
        return [site_origin()]
