"""``samizdat mirror keygen | manifest | verify``, as a mirror operator runs them."""

from __future__ import annotations

import stat
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def bundle(root: Path) -> Path:
    (root / "en" / "news").mkdir(parents=True)
    (root / "en" / "index.html").write_text("<!DOCTYPE html><title>Front page</title>")
    (root / "en" / "news" / "index.html").write_text("<!DOCTYPE html><title>News</title>")
    return root


def test_a_signed_copy_verifies_and_a_tampered_one_does_not(tmp_path: Path) -> None:
    private, public = tmp_path / "newsroom.key", tmp_path / "newsroom.pub"
    call_command("mirror", "keygen", str(private), str(public), stdout=StringIO())
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    site = bundle(tmp_path / "site")
    out = StringIO()
    call_command("mirror", "manifest", str(site), "--sign-key", str(private), stdout=out)
    assert "signed it: 2 files" in out.getvalue()
    out = StringIO()
    call_command("mirror", "verify", str(site), "--public-key", str(public), stdout=out)
    assert "signature and every file matches" in out.getvalue()

    (site / "en" / "news" / "index.html").write_text("<!DOCTYPE html><title>Forged</title>")
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("mirror", "verify", str(site), "--public-key", str(public), stderr=err)
    assert "en/news/index.html: changed" in err.getvalue()


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    private, public = tmp_path / "newsroom.key", tmp_path / "newsroom.pub"
    private.write_bytes(b"the key in use")
    with pytest.raises(CommandError, match="not overwriting"):
        call_command("mirror", "keygen", str(private), str(public))
    assert private.read_bytes() == b"the key in use"


def test_bad_arguments_get_a_one_line_reason(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("mirror", "manifest", str(tmp_path / "nowhere"))
    site = bundle(tmp_path / "site")
    (tmp_path / "rsa.pem").write_bytes(b"not a key")
    with pytest.raises(CommandError):
        call_command("mirror", "manifest", str(site), "--sign-key", str(tmp_path / "rsa.pem"))
    with pytest.raises(CommandError, match="No such file"):
        call_command("mirror", "verify", str(site), "--public-key", str(tmp_path / "missing.pem"))
