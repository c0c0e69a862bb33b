"""Reading the newsroom's public key: the fingerprint readers compare, and keys refused."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ValidationError

from samizdat.publishing.demo.demo_key import demo_public_key, packet
from samizdat.publishing.openpgp import armour, read_public_key

# Made by demo_key.py for this test (its private halves never stored); GnuPG 2.2 imported it
# with "2 good signatures" and printed this fingerprint.
KEY = """-----BEGIN PGP PUBLIC KEY BLOCK-----

xjMEaxBBYhYJKwYBBAHaRw8BAQdAHIUziE/SQbQXrHWi6erUclJqAwL8BwUtxdEw
DLHa6fjNUFRoZSBMYW50ZXJuIHRpcHMgZGVzayAoZGVtbyBrZXksIG5vIG9uZSBo
b2xkcyBpdHMgc2VjcmV0KSA8dGlwc0BsYW50ZXJuLmV4YW1wbGU+wn4EExYIACYF
AmsQQWICGwMWIQRtBflIN+sWAcwB6EHS85fgdflK/wILBwIVCAAKCRDS85fgdflK
/yl/AP4hiaZSpO0n2acP+T3SvGx+/5U578CV8mJf+UKS7NAGKwD/f8rXcKcdi3rO
t7lM+X4tDwt/TFfGqUb6ZOTSeYdIuQ7OOARrEEFiEgorBgEEAZdVAQUBAQdA0RDN
3KwBI7M4GnV992A7yQedo23Wtxag15m1JhSL2iMDAQgHwncEGBYIACAFAmsQQWIC
GwwWIQRtBflIN+sWAcwB6EHS85fgdflK/wAKCRDS85fgdflK/0f4AP9clEMtcxzr
Dzk5xCiD8tBBMNeK3d3SvErxESM3tuAdWwD3TNy1VMXZg+3oChfC/VuTMiwovtC3
IIuPVux4748dBQ==
=VIsd
-----END PGP PUBLIC KEY BLOCK-----
"""
GNUPG_FINGERPRINT = "6D05 F948 37EB 1601 CC01  E841 D2F3 97E0 75F9 4AFF"


def test_the_fingerprint_is_the_one_gnupg_prints() -> None:
    key = read_public_key(KEY)
    assert key.grouped_fingerprint() == GNUPG_FINGERPRINT.replace("  ", " ")


def test_headers_windows_line_ends_and_a_missing_checksum_are_read() -> None:
    lines = KEY.strip().splitlines()
    with_header = [lines[0], "Comment: The Lantern", *lines[1:]]
    no_checksum = [line for line in lines if not line.startswith("=")]
    for text in ("\r\n".join(with_header), "\n".join(no_checksum), f"  {KEY}  "):
        assert read_public_key(text).grouped_fingerprint() == GNUPG_FINGERPRINT.replace("  ", " ")


def test_a_version_6_key_has_a_sha256_fingerprint() -> None:
    body = bytes([6]) + bytes(4) + bytes([27]) + (32).to_bytes(4, "big") + bytes(range(32))
    key = read_public_key(armour(packet(6, body)))
    assert len(key.fingerprint) == 64 and len(key.grouped_fingerprint().split()) == 16


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (packet(5, bytes([4]) + bytes(40)), "private_key"),  # a secret-key packet
        (packet(13, b"Someone <someone@example.org>"), "not_public_key"),
        (packet(6, bytes([3]) + bytes(40)), "key_version"),
        (b"\x99\x00\x10" + bytes(4), "bad_packet"),  # says 16 bytes, holds 4
        (b"plain text, not a packet", "bad_packet"),
    ],
)
def test_what_is_not_a_usable_public_key_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        read_public_key(armour(data))
    assert refused.value.code == code


def test_the_demo_key_is_new_each_time_and_says_it_is_a_demo() -> None:
    first, second = demo_public_key(), demo_public_key()
    assert read_public_key(first).fingerprint != read_public_key(second).fingerprint
    packets = base64.b64decode("".join(first.splitlines()[2:-2]))
    assert b"demo key, no one holds its secret" in packets
