"""How to reach the newsroom securely: the Signal contact, SecureDrop or onion address, tips
email and PGP key from Settings, checked as they are entered and shown as plain text.

Nothing here loads anything from elsewhere: no QR service, no key server, no widget. Readers
copy what they need into their own programs.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from samizdat.publishing.openpgp import read_public_key

SIGNAL_NUMBER = re.compile(r"^\+[1-9][0-9 ]{6,24}$")
SIGNAL_USERNAME = re.compile(r"^[a-z_][a-z0-9_]{2,31}\.[0-9]{2,9}$", re.IGNORECASE)
SIGNAL_DIGITS = (7, 15)  # E.164: at most 15 digits with the country code
ONION_V3 = re.compile(r"^[a-z2-7]{56}\.onion$")


def validate_signal(value: str) -> None:
    """A Signal phone number in international form (``+49 151 2345678``) or a Signal
    username (``lantern.01``)."""
    value = value.strip()
    if SIGNAL_USERNAME.match(value):
        return
    digits = len(value.replace(" ", "")) - 1
    if SIGNAL_NUMBER.match(value) and SIGNAL_DIGITS[0] <= digits <= SIGNAL_DIGITS[1]:
        return
    raise ValidationError(
        _(
            "Write a phone number in international form, starting with + and the country "
            "code (+49 151 2345678), or a Signal username with its number (lantern.01)."
        ),
        code="signal",
    )


def validate_securedrop(value: str) -> None:
    """An onion address (version 3, as Tor Browser opens it) or an https address."""
    value = value.strip()
    parts = urlsplit(value if "://" in value else f"http://{value}")
    host = (parts.hostname or "").lower()
    if host.endswith(".onion"):
        if not ONION_V3.match(host):
            raise ValidationError(
                _(
                    "An onion address has 56 letters and digits before “.onion”: copy it "
                    "whole from Tor Browser or your SecureDrop instance."
                ),
                code="onion",
            )
        return
    if parts.scheme != "https" or not host or "." not in host or "://" not in value:
        raise ValidationError(
            _("Write an onion address, or a web address starting with https://."),
            code="securedrop",
        )


def render_secure_contact(contact: Any) -> SafeString:
    """The newsroom's secure contacts as a definition list and its public key in a ``<pre>``;
    nothing at all when none are set."""
    rows: list[tuple[str, str, str]] = []
    if contact.signal:
        rows.append(("signal", gettext("Signal"), contact.signal.strip()))
    if contact.securedrop_address:
        rows.append(
            ("securedrop", gettext("SecureDrop (open in Tor Browser)"), contact.securedrop_address)
        )
    if contact.tips_email:
        rows.append(("email", gettext("Email for tips"), contact.tips_email))
    key = None
    # A key saved past the form's checks: no key rather than a broken page.
    with contextlib.suppress(ValidationError):
        if contact.pgp_public_key.strip():
            key = read_public_key(contact.pgp_public_key)
    if key is not None:
        rows.append(("fingerprint", gettext("PGP key fingerprint"), key.grouped_fingerprint()))
    if not rows:
        return mark_safe("")
    items = format_html_join(
        "",
        '<dt>{}</dt><dd><code class="secure-{}" translate="no">{}</code></dd>',
        ((label, kind, value) for kind, label, value in rows),
    )
    key_html = (
        format_html(
            '<h3>{}</h3><pre class="pgp-key" translate="no">{}</pre>',
            gettext("Our PGP public key"),
            key.armoured,
        )
        if key is not None
        else ""
    )
    return format_html(
        '<section class="secure-contact" aria-label="{}"><dl>{}</dl>{}</section>',
        gettext("How to reach us securely"),
        items,
        key_html,
    )
