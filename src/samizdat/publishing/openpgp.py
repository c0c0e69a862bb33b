"""Reading an armoured OpenPGP public key: checked, and its fingerprint computed.

The newsroom pastes its public key in Settings; readers see the key and its fingerprint. The
fingerprint is computed from the key itself (RFC 4880 §12.2 for version 4 keys, RFC 9580 §5.5.4
for version 6), never typed, so the two can never disagree. Nothing here decrypts or verifies
signatures: a reader's own OpenPGP program does that.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
END = "-----END PGP PUBLIC KEY BLOCK-----"
PRIVATE_MARK = "PRIVATE KEY BLOCK"
PUBLIC_KEY_TAG = 6
SECRET_KEY_TAGS = (5, 7)
CRC24_INIT = 0xB704CE
CRC24_POLY = 0x1864CFB
ARMOUR_HEADER = re.compile(r"^[A-Za-z-]+: ")
MAX_KEY_CHARS = 200_000


@dataclass(frozen=True)
class PublicKey:
    """A public key as readers see it: its armoured text and its fingerprint."""

    armoured: str
    fingerprint: str  # upper-case hex, no spaces

    def grouped_fingerprint(self) -> str:
        """The fingerprint in groups of four, as OpenPGP programs print it."""
        return " ".join(self.fingerprint[i : i + 4] for i in range(0, len(self.fingerprint), 4))


def crc24(data: bytes) -> int:
    """The armour checksum (RFC 4880 §6.1)."""
    crc = CRC24_INIT
    for byte in data:
        crc ^= byte << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= CRC24_POLY
    return crc & 0xFFFFFF


def armour(data: bytes) -> str:
    """Binary key material as an armoured public key block with its checksum."""
    text = base64.b64encode(data).decode()
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    checksum = base64.b64encode(crc24(data).to_bytes(3, "big")).decode()
    return "\n".join([BEGIN, "", *lines, f"={checksum}", END]) + "\n"


def dearmour(text: str) -> bytes:
    """The binary packets of an armoured public key block; ValidationError if it is not one."""
    if PRIVATE_MARK in text:
        raise ValidationError(
            _("This is a private key. Paste the public key only, and keep the private one secret."),
            code="private_key",
        )
    if len(text) > MAX_KEY_CHARS:
        raise ValidationError(_("This key block is too long."), code="too_long")
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or lines[0] != BEGIN or END not in lines:
        raise ValidationError(
            _("Paste the whole public key, from “%(begin)s” to “%(end)s”."),
            params={"begin": BEGIN, "end": END},
            code="not_armoured",
        )
    body = lines[1 : lines.index(END)]
    while body and ARMOUR_HEADER.match(body[0]):
        body.pop(0)  # armour headers such as "Comment: …"
    checksum = None
    if body and body[-1].startswith("="):
        checksum = body.pop()[1:]
    try:
        data = base64.b64decode("".join(body), validate=True)
        expected = base64.b64decode(checksum, validate=True) if checksum is not None else None
    except (binascii.Error, ValueError):
        raise ValidationError(
            _("The key block is damaged: it has characters a key cannot contain."),
            code="bad_base64",
        ) from None
    if not data or (expected is not None and expected != crc24(data).to_bytes(3, "big")):
        raise ValidationError(
            _("The key block is damaged: its checksum does not match. Copy it again."),
            code="bad_checksum",
        )
    return data


def first_packet(data: bytes) -> tuple[int, bytes]:
    """The tag and body of the first OpenPGP packet (RFC 4880 §4.2)."""
    damaged = ValidationError(_("The key block holds no readable key."), code="bad_packet")
    if not data or not data[0] & 0x80:
        raise damaged
    header = data[0]
    if header & 0x40:  # new format
        tag = header & 0x3F
        if len(data) < 2:
            raise damaged
        first = data[1]
        if first < 192:
            length, start = first, 2
        elif first < 224:
            if len(data) < 3:
                raise damaged
            length, start = ((first - 192) << 8) + data[2] + 192, 3
        elif first == 255:
            length, start = int.from_bytes(data[2:6], "big"), 6
        else:
            raise damaged  # a partial length: never used for keys
    else:  # old format
        tag = (header >> 2) & 0x0F
        size = {0: 1, 1: 2, 2: 4}.get(header & 0x03)
        if size is None:
            raise damaged
        length, start = int.from_bytes(data[1 : 1 + size], "big"), 1 + size
    body = data[start : start + length]
    if len(body) != length:
        raise damaged
    return tag, body


def fingerprint_of(body: bytes) -> str:
    """The fingerprint of a public-key packet's body (upper-case hex)."""
    version = body[0] if body else 0
    if version == 4:
        digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body, usedforsecurity=False)
        return digest.hexdigest().upper()
    if version == 6:
        return hashlib.sha256(b"\x9b" + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    raise ValidationError(
        _("This key is of an old or unknown version (%(version)s): make a current one."),
        params={"version": version},
        code="key_version",
    )


def read_public_key(text: str) -> PublicKey:
    """The armoured public key ``text``, checked, with its fingerprint."""
    data = dearmour(text)
    tag, body = first_packet(data)
    if tag in SECRET_KEY_TAGS:
        raise ValidationError(
            _("This is a private key. Paste the public key only, and keep the private one secret."),
            code="private_key",
        )
    if tag != PUBLIC_KEY_TAG:
        raise ValidationError(_("The key block holds no public key."), code="not_public_key")
    normalised = text.strip().replace("\r\n", "\n") + "\n"
    return PublicKey(armoured=normalised, fingerprint=fingerprint_of(body))


def validate_public_key(text: str) -> None:
    """Model-field validator: an empty value, or a readable armoured public key."""
    if text.strip():
        read_public_key(text)
