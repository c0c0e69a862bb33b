"""Encryption at rest (core/crypto.py): the ciphertext, the keys, and the settings that make
encryption impossible to forget in production."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from samizdat.core import crypto
from tests.core.test_settings import SAMIZDAT, production_env, run, settings_value

OLD_KEY = crypto.generate_key()
NEW_KEY = crypto.generate_key()


def test_a_value_round_trips_and_its_ciphertext_shows_nothing() -> None:
    stored = crypto.encrypt("anna.petrova@example.org")
    assert stored.startswith(crypto.PREFIX)
    assert "anna" not in stored and "example" not in stored
    assert crypto.encrypt("anna.petrova@example.org") != stored  # a fresh nonce each time
    assert crypto.decrypt(stored) == "anna.petrova@example.org"
    assert crypto.decrypt(crypto.encrypt("Анна Петрова")) == "Анна Петрова"


def test_plaintext_written_before_encryption_still_reads() -> None:
    assert crypto.decrypt("anna@example.org") == "anna@example.org"


def test_an_old_key_reads_until_it_is_dropped_and_then_fails_clearly(settings: Any) -> None:
    settings.DATA_KEY = OLD_KEY
    stored = crypto.encrypt("boris@example.org")
    settings.DATA_KEY, settings.DATA_KEYS_OLD = NEW_KEY, [OLD_KEY]
    assert crypto.decrypt(stored) == "boris@example.org"
    assert not crypto.keyring().is_current(stored)
    settings.DATA_KEYS_OLD = []
    with pytest.raises(crypto.DecryptionError, match="SAMIZDAT_DATA_KEYS_OLD"):
        crypto.decrypt(stored)


def test_a_damaged_value_fails_clearly() -> None:
    stored = crypto.encrypt("boris@example.org")
    damaged = stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB")
    with pytest.raises(crypto.DecryptionError, match="does not decrypt"):
        crypto.decrypt(damaged)


def test_a_malformed_key_is_refused_with_its_name(settings: Any) -> None:
    settings.DATA_KEY = "not-a-key"
    with pytest.raises(ImproperlyConfigured, match="SAMIZDAT_DATA_KEY"):
        crypto.encrypt("x")


def test_digests_are_keyed_and_compare_addresses_normalised(settings: Any) -> None:
    digest = crypto.digest("  Anna@Example.ORG ")
    assert digest == crypto.digest("anna@example.org")
    # Not the plain SHA-256 anyone could compute from a list of addresses…
    assert digest != hashlib.sha256(b"anna@example.org").hexdigest()
    # …and another lookup key gives another digest.
    settings.LOOKUP_KEY = crypto.generate_key()
    assert crypto.digest("anna@example.org") != digest
    assert crypto.digest("") == ""


def test_keys_generate_prints_a_usable_key(capsys: Any) -> None:
    call_command("keys", "generate")
    key = capsys.readouterr().out.strip()
    assert len(crypto.parse_key(key)) == 32


def test_production_without_data_keys_refuses_to_start(tmp_path: Path) -> None:
    env = production_env() | {"SAMIZDAT_DATA_KEY": "", "SAMIZDAT_LOOKUP_KEY": ""}
    result = run([SAMIZDAT, "check", "--deploy"], env, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "SAMIZDAT_DATA_KEY" in result.stderr and "samizdat keys generate" in result.stderr


def test_production_with_a_malformed_key_refuses_to_start(tmp_path: Path) -> None:
    env = production_env() | {"SAMIZDAT_DATA_KEYS_OLD": "abc"}
    result = run([SAMIZDAT, "check"], env, tmp_path)
    assert result.returncode == 1
    assert "SAMIZDAT_DATA_KEYS_OLD is not a key" in result.stderr


def test_the_demo_generates_its_keys_and_the_deploy_check_says_so(tmp_path: Path) -> None:
    demo = {"SAMIZDAT_DEBUG": "1", "SAMIZDAT_DATA_KEY": "", "SAMIZDAT_LOOKUP_KEY": ""}
    first = settings_value("s.DATA_KEY, s.LOOKUP_KEY", demo, tmp_path)
    assert first == settings_value("s.DATA_KEY, s.LOOKUP_KEY", demo, tmp_path)
    for name in ("data_key", "lookup_key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    result = run([SAMIZDAT, "check", "--deploy"], demo, tmp_path)
    assert "samizdat.core.E004" in result.stdout + result.stderr


def test_the_same_key_for_both_purposes_is_a_deploy_error(tmp_path: Path) -> None:
    env = production_env()
    env["SAMIZDAT_LOOKUP_KEY"] = env["SAMIZDAT_DATA_KEY"]
    result = run([SAMIZDAT, "check", "--deploy"], env, tmp_path)
    assert result.returncode == 1
    assert "samizdat.core.E005" in result.stdout + result.stderr
