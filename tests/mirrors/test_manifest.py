"""The bundle manifest: listing, hashing, signing, tamper detection and sync diffs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from samizdat.mirrors import manifest as m

WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)

TREE: dict[str, bytes] = {
    "en/index.html": b"<!doctype html><title>Home</title>",
    "en/news/court-opens-trial/index.html": b"<p>The trial opened.</p>",
    "ru/новости/index.html": "<p>Новости</p>".encode(),
    "static/samizdat/site.css": b"body{margin:0}",
    "static/samizdat/empty.txt": b"",
    "static/big.bin": bytes(range(256)) * 10_000,  # 2.5 MB: several chunks
    "en/manifest.json": b"{}",  # only the top-level manifest is excluded
    "sitemap.xml": b"<urlset/>",
}


def make_tree(root: Path, files: dict[str, bytes] = TREE) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "bundle")


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return m.generate_key()


@pytest.fixture
def signed(bundle: Path, keys: tuple[bytes, bytes]) -> Path:
    m.write_manifest(bundle, private_key_pem=keys[0])
    return bundle


def test_lists_every_file_with_size_and_sha256(bundle: Path) -> None:
    (bundle / m.MANIFEST).write_text("old")
    (bundle / m.SIGNATURE).write_text("old")
    (bundle / "en" / ".index.html.x1y2.tmp").write_text("half-written")

    manifest = m.build_manifest(bundle)

    assert manifest["format"] == 1
    assert manifest["files"] == [
        {"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for rel, data in sorted(TREE.items())
    ]


def test_file_entry_of_one_file(bundle: Path) -> None:
    data = TREE["static/big.bin"]
    assert m.file_entry(bundle, bundle / "static/big.bin") == {
        "path": "static/big.bin",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_written_manifest_is_the_returned_one(bundle: Path) -> None:
    manifest = m.write_manifest(bundle, generated=WHEN)

    data = (bundle / m.MANIFEST).read_bytes()
    assert json.loads(data) == manifest
    assert data.endswith(b"}\n")
    assert manifest["generated"] == "2025-03-01T12:30:00Z"
    assert b"mtime" not in data
    assert data.count(b"\n") == len(TREE) + 6  # one line per file
    assert not (bundle / m.SIGNATURE).exists()
    assert stat.S_IMODE((bundle / m.MANIFEST).stat().st_mode) == 0o644
    assert not [p for p in bundle.rglob("*.tmp")]


def test_generated_defaults_to_now_in_utc(bundle: Path) -> None:
    generated = m.build_manifest(bundle)["generated"]
    when = datetime.fromisoformat(generated)
    assert generated.endswith("Z")
    assert when.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60


def test_same_tree_gives_the_same_bytes(tmp_path: Path) -> None:
    first = make_tree(tmp_path / "a")
    second = make_tree(tmp_path / "b", dict(reversed(TREE.items())))

    m.write_manifest(first, generated=WHEN)
    m.write_manifest(second, generated=WHEN)
    m.write_manifest(first, generated=WHEN)

    assert (first / m.MANIFEST).read_bytes() == (second / m.MANIFEST).read_bytes()


def test_signature_verifies_with_the_public_key(signed: Path, keys: tuple[bytes, bytes]) -> None:
    signature = base64.b64decode((signed / m.SIGNATURE).read_bytes(), validate=False)
    key = serialization.load_pem_public_key(keys[1])
    assert isinstance(key, Ed25519PublicKey)
    key.verify(signature, (signed / m.MANIFEST).read_bytes())  # raises if invalid

    assert m.verify(signed, public_key_pem=keys[1]) == []
    assert m.public_key_from(keys[0]) == keys[1]


def test_unsigned_bundle_verifies_without_a_key(bundle: Path) -> None:
    m.write_manifest(bundle)
    assert m.verify(bundle, public_key_pem=None) == []


def test_changed_byte_is_reported(signed: Path, keys: tuple[bytes, bytes]) -> None:
    path = signed / "static/big.bin"
    data = bytearray(path.read_bytes())
    data[1_500_000] ^= 1
    path.write_bytes(data)

    assert m.verify(signed, public_key_pem=keys[1]) == ["static/big.bin: changed (SHA-256 differs)"]


def test_changed_size_is_reported(signed: Path) -> None:
    (signed / "sitemap.xml").write_bytes(b"<urlset></urlset>")
    assert m.verify(signed, public_key_pem=None) == ["sitemap.xml: changed (size differs)"]


def test_deleted_file_is_missing(signed: Path, keys: tuple[bytes, bytes]) -> None:
    (signed / "en/index.html").unlink()
    assert m.verify(signed, public_key_pem=keys[1]) == ["en/index.html: missing"]


def test_added_file_is_not_in_the_manifest(signed: Path, keys: tuple[bytes, bytes]) -> None:
    (signed / "en" / "ad.html").write_text("<script>")
    (signed / "en" / "news" / "x").mkdir()
    (signed / "en" / "news" / "x" / "index.html").write_text("planted")
    (signed / "elsewhere").symlink_to(signed / "static")

    assert m.verify(signed, public_key_pem=keys[1]) == [
        "elsewhere: not in the manifest",
        "en/ad.html: not in the manifest",
        "en/news/x/index.html: not in the manifest",
    ]


def test_edited_manifest_breaks_the_signature(signed: Path, keys: tuple[bytes, bytes]) -> None:
    path = signed / m.MANIFEST
    old = hashlib.sha256(TREE["sitemap.xml"]).hexdigest()
    path.write_text(path.read_text().replace(old, "0" * 64))

    assert m.verify(signed, public_key_pem=keys[1]) == [
        "manifest.json.sig: invalid signature for manifest.json",
        "sitemap.xml: changed (SHA-256 differs)",
    ]


def test_wrong_public_key_is_invalid(signed: Path) -> None:
    _, other = m.generate_key()
    assert m.verify(signed, public_key_pem=other) == [
        "manifest.json.sig: invalid signature for manifest.json"
    ]


def test_missing_signature(signed: Path, keys: tuple[bytes, bytes]) -> None:
    (signed / m.SIGNATURE).unlink()
    assert m.verify(signed, public_key_pem=keys[1]) == ["manifest.json.sig: missing"]
    assert m.verify(signed, public_key_pem=None) == []


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"not base64 at all!",
        base64.b64encode(b"short"),
        base64.b64encode(bytes(64)),
        os.urandom(300),
    ],
)
def test_garbage_signature_is_invalid(
    signed: Path, keys: tuple[bytes, bytes], garbage: bytes
) -> None:
    (signed / m.SIGNATURE).write_bytes(garbage)
    assert m.verify(signed, public_key_pem=keys[1]) == [
        "manifest.json.sig: invalid signature for manifest.json"
    ]


def test_key_that_is_not_ed25519(signed: Path) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert m.verify(signed, public_key_pem=rsa_public) == ["public key: not an Ed25519 public key"]

    for junk in (b"", b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n"):
        (problem,) = m.verify(signed, public_key_pem=junk)
        assert problem.startswith("public key: cannot be read")

    rsa_private = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    before = (signed / m.MANIFEST).read_bytes()
    with pytest.raises(ValueError, match="Ed25519"):
        m.write_manifest(signed, private_key_pem=rsa_private)
    assert (signed / m.MANIFEST).read_bytes() == before


def test_missing_manifest(bundle: Path, keys: tuple[bytes, bytes]) -> None:
    assert m.verify(bundle, public_key_pem=keys[1]) == ["manifest.json: missing"]
    assert m.verify(bundle / "nowhere", public_key_pem=None) == ["manifest.json: missing"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<html>not json", "manifest.json: not valid JSON"),
        (b"\xff\xfe\x00garbage", "manifest.json: not valid JSON"),
        (b"[" * 100_000, "manifest.json: not valid JSON"),
        (b"[]", "manifest.json: malformed (no list of files)"),
        (b'{"format": 1, "files": {}}', "manifest.json: malformed (no list of files)"),
        (b'{"format": 2, "files": []}', "manifest.json: unsupported format 2"),
        (b'{"format": 1, "files": [7]}', "manifest.json: malformed entry #1"),
        (
            b'{"format": 1, "files": [{"path": "../../etc/passwd", "size": 1, "sha256": "'
            + b"0" * 64
            + b'"}]}',
            "manifest.json: malformed entry #1",
        ),
        (
            b'{"format": 1, "files": [{"path": "a", "size": true, "sha256": "'
            + b"0" * 64
            + b'"}]}',
            "manifest.json: malformed entry #1",
        ),
        (
            b'{"format": 1, "files": [{"path": "a", "size": 1, "sha256": "' + b"Z" * 64 + b'"}]}',
            "manifest.json: malformed entry #1",
        ),
    ],
)
def test_malformed_manifest_is_a_problem(bundle: Path, content: bytes, problem: str) -> None:
    (bundle / m.MANIFEST).write_bytes(content)
    assert m.verify(bundle, public_key_pem=None) == [problem]


def test_partly_malformed_manifest_still_checks_the_rest(signed: Path) -> None:
    manifest = json.loads((signed / m.MANIFEST).read_bytes())
    manifest["files"][0]["path"] = "/etc/passwd"
    manifest["files"].append(manifest["files"][1])
    (signed / m.MANIFEST).write_bytes(m.dumps(manifest))

    first = sorted(TREE)[0]
    assert m.verify(signed, public_key_pem=None) == [
        "manifest.json: malformed entry #1",
        f"manifest.json: {sorted(TREE)[1]} listed twice",
        f"{first}: not in the manifest",
    ]


def test_writing_without_a_key_drops_a_stale_signature(signed: Path) -> None:
    m.write_manifest(signed)
    assert not (signed / m.SIGNATURE).exists()


def test_changed_files() -> None:
    def manifest(**files: str) -> dict[str, object]:
        entries = [{"path": p, "size": len(s), "sha256": s} for p, s in files.items()]
        return {"format": 1, "generated": "", "files": entries}

    old = manifest(a="aa", b="bb", c="cc")
    new = manifest(a="aa", b="BB", d="dd")

    assert m.changed_files(old, new) == (["b", "d"], ["c"])
    assert m.changed_files(None, new) == (["a", "b", "d"], [])
    assert m.changed_files(new, new) == ([], [])


def test_cache_reuses_hashes_of_unchanged_files(bundle: Path) -> None:
    cache: m.HashCache = {}
    first = m.build_manifest(bundle, cache=cache)
    assert set(cache) == set(TREE)

    # Poison one cached hash: as long as size and mtime match, it is trusted, not recomputed.
    size, mtime_ns, _ = cache["sitemap.xml"]
    cache["sitemap.xml"] = (size, mtime_ns, "f" * 64)
    reused = {e["path"]: e["sha256"] for e in m.build_manifest(bundle, cache=cache)["files"]}
    assert reused["sitemap.xml"] == "f" * 64

    # A new mtime (same size and content) forces a fresh hash.
    os.utime(bundle / "sitemap.xml", ns=(mtime_ns + 1_000_000, mtime_ns + 1_000_000))
    again = m.build_manifest(bundle, cache=cache)
    assert again["files"] == first["files"]
    assert cache["sitemap.xml"][2] == hashlib.sha256(TREE["sitemap.xml"]).hexdigest()

    # Vanished files leave the cache.
    (bundle / "sitemap.xml").unlink()
    m.build_manifest(bundle, cache=cache)
    assert "sitemap.xml" not in cache


def test_build_refuses_what_is_not_a_regular_file(bundle: Path) -> None:
    (bundle / "linked").symlink_to(bundle / "static")
    with pytest.raises(ValueError, match="linked: not a regular file"):
        m.build_manifest(bundle)
