"""A fresh OpenPGP public key for the demo newsroom's "How to reach us securely" page.

Made at seed time with ``cryptography``: an Ed25519 primary key with a Curve25519 encryption
subkey, self-signed as RFC 4880 and RFC 6637 describe (the version 4 form every OpenPGP
program reads). The private halves are thrown away at once, so nobody can read what is sent
to it: it shows what a real key looks like and belongs to no one.
"""

from __future__ import annotations

import hashlib
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from samizdat.publishing.openpgp import armour, fingerprint_of

ED25519_OID = bytes.fromhex("2b06010401da470f01")
CURVE25519_OID = bytes.fromhex("2b060104019755010501")
EDDSA, ECDH = 22, 18
SHA256 = 8
AES128 = 7
POSITIVE_CERTIFICATION, SUBKEY_BINDING = 0x13, 0x18
CERTIFY_AND_SIGN, ENCRYPT = 0x03, 0x0C
DEMO_USER_ID = "The Lantern tips desk (demo key, no one holds its secret) <tips@lantern.example>"


def packet(tag: int, body: bytes) -> bytes:
    """A new-format packet (RFC 4880 §4.2.2)."""
    size = len(body)
    if size < 192:
        length = bytes([size])
    elif size < 8384:
        size -= 192
        length = bytes([(size >> 8) + 192, size & 0xFF])
    else:
        length = b"\xff" + size.to_bytes(4, "big")
    return bytes([0xC0 | tag]) + length + body


def mpi(value: bytes) -> bytes:
    """A multiprecision integer: its bit count, then its bytes (leading zeros dropped)."""
    value = value.lstrip(b"\x00")
    bits = (len(value) - 1) * 8 + value[0].bit_length() if value else 0
    return bits.to_bytes(2, "big") + value


def raw_public(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def subpacket(kind: int, data: bytes) -> bytes:
    return bytes([len(data) + 1, kind]) + data


def signature(
    signer: Ed25519PrivateKey,
    fingerprint: str,
    kind: int,
    signed: bytes,
    flags: int,
    created: int,
) -> bytes:
    """A version 4 signature packet of ``kind`` over ``signed`` (RFC 4880 §5.2.4)."""
    issuer = bytes.fromhex(fingerprint)
    hashed = (
        subpacket(2, created.to_bytes(4, "big"))  # creation time
        + subpacket(27, bytes([flags]))  # key flags
        + subpacket(33, b"\x04" + issuer)  # issuer fingerprint
    )
    if kind == POSITIVE_CERTIFICATION:
        hashed += subpacket(11, bytes([AES128])) + subpacket(21, bytes([SHA256]))
    head = bytes([4, kind, EDDSA, SHA256]) + len(hashed).to_bytes(2, "big") + hashed
    trailer = b"\x04\xff" + len(head).to_bytes(4, "big")
    digest = hashlib.sha256(signed + head + trailer).digest()
    raw = signer.sign(digest)
    unhashed = subpacket(16, issuer[-8:])  # issuer key id
    return packet(
        2,
        head
        + len(unhashed).to_bytes(2, "big")
        + unhashed
        + digest[:2]
        + mpi(raw[:32])
        + mpi(raw[32:]),
    )


def demo_public_key(user_id: str = DEMO_USER_ID, created: int | None = None) -> str:
    """An armoured public key with ``user_id``, whose private keys no longer exist."""
    created = int(time.time()) if created is None else created
    when = created.to_bytes(4, "big")
    primary = Ed25519PrivateKey.generate()
    primary_body = (
        b"\x04" + when + bytes([EDDSA, len(ED25519_OID)]) + ED25519_OID
        + mpi(b"\x40" + raw_public(primary))
    )  # fmt: skip
    fingerprint = fingerprint_of(primary_body)
    hashed_key = b"\x99" + len(primary_body).to_bytes(2, "big") + primary_body
    uid = user_id.encode()
    certification = signature(
        primary,
        fingerprint,
        POSITIVE_CERTIFICATION,
        hashed_key + b"\xb4" + len(uid).to_bytes(4, "big") + uid,
        CERTIFY_AND_SIGN,
        created,
    )
    encryption = X25519PrivateKey.generate()
    sub_body = (
        b"\x04" + when + bytes([ECDH, len(CURVE25519_OID)]) + CURVE25519_OID
        + mpi(b"\x40" + raw_public(encryption))
        + bytes([3, 1, SHA256, AES128])  # KDF parameters
    )  # fmt: skip
    binding = signature(
        primary,
        fingerprint,
        SUBKEY_BINDING,
        hashed_key + b"\x99" + len(sub_body).to_bytes(2, "big") + sub_body,
        ENCRYPT,
        created,
    )
    data = (
        packet(6, primary_body) + packet(13, uid) + certification + packet(14, sub_body) + binding
    )
    return armour(data)
