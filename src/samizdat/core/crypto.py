"""Encryption at rest of readers' and donors' personal data, and keyed digests to find it.

A value is stored as ``enc1$<key id>$<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>``.
The key id (eight hex digits derived from the key) says which key wrote it, so reading tries
no key in vain: ``SAMIZDAT_DATA_KEY`` writes and reads, ``SAMIZDAT_DATA_KEYS_OLD`` only read
(until ``samizdat keys rotate`` has rewritten everything with the current key). A value
without the prefix was written before encryption existed and reads as it is.

Look-ups compare a keyed digest (HMAC-SHA256 with ``SAMIZDAT_LOOKUP_KEY``) of the normalised
value, kept in a column of its own: a plain SHA-256 of an address could be found again by
hashing a list of addresses, a keyed one only by whoever holds the key.

Keys are 32 random bytes written in URL-safe base64 (``samizdat keys generate``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1$"
KID_START, KID_END = len(PREFIX), len(PREFIX) + 8
NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A stored value no configured key can read: the wrong key, or a damaged value."""


def generate_key() -> str:
    """A new key, as the settings take it."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(text: str, setting: str = "SAMIZDAT_DATA_KEY") -> bytes:
    """The 32 bytes of a key, or ImproperlyConfigured saying what is wrong with it."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ImproperlyConfigured(
            f"{setting} is not a key: it must be 32 random bytes in URL-safe base64 "
            "(`samizdat keys generate` prints one)."
        )
    return raw


def key_id(key: bytes) -> str:
    return hmac.new(key, b"samizdat key id", hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True)
class Keyring:
    current_id: str
    ciphers: dict[str, AESGCM]
    lookup_key: bytes

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.ciphers[self.current_id].encrypt(nonce, plaintext.encode(), None)
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}{self.current_id}${body}"

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption: plaintext
        kid, body = stored[KID_START:KID_END], stored[KID_END + 1 :]
        cipher = self.ciphers.get(kid) if stored[KID_END : KID_END + 1] == "$" else None
        if cipher is None:
            raise DecryptionError(
                f"a value was encrypted with key {kid or '?'}, which is neither "
                "SAMIZDAT_DATA_KEY nor one of SAMIZDAT_DATA_KEYS_OLD"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None).decode()
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
            raise DecryptionError(
                f"a value encrypted with key {kid} does not decrypt: it was damaged, or the "
                "key with that id is not the one that wrote it"
            ) from None

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}{self.current_id}$")

    def digest(self, normalised: str) -> str:
        return hmac.new(self.lookup_key, normalised.encode(), hashlib.sha256).hexdigest()


def _keyring(data_key: str, old_keys: tuple[str, ...], lookup_key: str) -> Keyring:
    if not data_key:
        raise ImproperlyConfigured("SAMIZDAT_DATA_KEY is not set.")
    if not lookup_key:
        raise ImproperlyConfigured("SAMIZDAT_LOOKUP_KEY is not set.")
    current = parse_key(data_key)
    ciphers = {key_id(current): AESGCM(current)}
    for old in old_keys:
        raw = parse_key(old, "SAMIZDAT_DATA_KEYS_OLD")
        ciphers.setdefault(key_id(raw), AESGCM(raw))
    return Keyring(key_id(current), ciphers, parse_key(lookup_key, "SAMIZDAT_LOOKUP_KEY"))


_ring: Keyring | None = None


def keyring() -> Keyring:
    """The keys of the settings, built once (again when a test changes the settings)."""
    global _ring
    if _ring is None:
        _ring = _keyring(settings.DATA_KEY, tuple(settings.DATA_KEYS_OLD), settings.LOOKUP_KEY)
    return _ring


def forget_keys() -> None:
    """Read the keys from the settings again (``signals.py``: when a test changes them)."""
    global _ring
    _ring = None


def encrypt(plaintext: str) -> str:
    return keyring().encrypt(plaintext)


def decrypt(stored: str) -> str:
    return keyring().decrypt(stored)


def normalise_address(value: str) -> str:
    """How addresses compare: without surrounding spaces, in lower case."""
    return value.strip().lower()


def digest(value: str, normalise: bool = True) -> str:
    """The keyed digest of a value (of an address: normalised first). Empty for empty."""
    text = normalise_address(value) if normalise else value
    return keyring().digest(text) if text else ""
