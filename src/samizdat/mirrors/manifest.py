"""The manifest of a static bundle: every file with its size and SHA-256, optionally signed.

A bundle directory carries ``manifest.json`` and, when the newsroom signs it,
``manifest.json.sig`` (base64 of an Ed25519 signature over the exact bytes of the manifest).
Mirrors use the manifest to sync only what changed; anyone holding the public key can check
that a mirror serves exactly what the newsroom published.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, TypeAlias, TypedDict

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from samizdat.core.files import write_atomic

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
# Marks a mirror target's directory as samizdat's own (mirrors/targets.py); never listed.
MARKER = ".samizdat-mirror"
UNLISTED = (MANIFEST, SIGNATURE, MARKER)  # files at the top a manifest never lists
FORMAT = 1
CHUNK = 1024 * 1024
HEX = frozenset("0123456789abcdef")

HashCache: TypeAlias = dict[str, tuple[int, int, str]]
"""Relative path → (size, mtime_ns, sha256) of files already hashed; kept in memory only."""


class FileEntry(TypedDict):
    path: str
    size: int
    sha256: str


class Manifest(TypedDict):
    format: int
    generated: str
    files: list[FileEntry]


# --- building -----------------------------------------------------------------------------


def _is_temp(name: str) -> bool:
    return len(name) > 4 and name.startswith(".") and name.endswith(".tmp")


def _raise(error: OSError) -> None:
    raise error


def _walk(root: Path, onerror: Callable[[OSError], None] = _raise) -> Iterator[tuple[str, str]]:
    """Yield (posix relative path, filesystem path) of every non-directory entry under root.

    Symlinks are never descended into; a symlink to a directory is yielded like a file. The
    manifest, its signature, a mirror directory's marker and ``.*.tmp`` files are skipped.
    """
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as entries:
                listing = list(entries)
        except OSError as error:
            onerror(error)
            continue
        for entry in listing:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, rel + "/"))
            elif not (_is_temp(entry.name) or (not prefix and entry.name in UNLISTED)):
                yield rel, entry.path


def walk(root: Path) -> Iterator[tuple[str, str]]:
    """(relative path, filesystem path) of every file a manifest of ``root`` lists."""
    return _walk(root)


def _hash(path: str, buffer: memoryview) -> tuple[str, int, os.stat_result]:
    """SHA-256 hex digest and byte count of a file, read in CHUNK-sized pieces."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as f:
        while count := f.readinto(buffer):
            digest.update(buffer[:count])
            size += count
        after = os.fstat(f.fileno())
    return digest.hexdigest(), size, after


def _entry(rel: str, path: str, cache: HashCache | None, buffer: memoryview) -> FileEntry:
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise ValueError(f"{rel}: not a regular file")
    if cache is not None:
        known = cache.get(rel)
        if known is not None and known[:2] == (before.st_size, before.st_mtime_ns):
            return {"path": rel, "size": known[0], "sha256": known[2]}
    sha256, size, after = _hash(path, buffer)
    if cache is not None:
        unchanged = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        if unchanged and size == before.st_size:
            cache[rel] = (size, before.st_mtime_ns, sha256)
        else:
            cache.pop(rel, None)
    return {"path": rel, "size": size, "sha256": sha256}


def file_entry(root: Path, path: Path, *, cache: HashCache | None = None) -> FileEntry:
    """The manifest entry of one file under root (reusing ``cache`` when size and mtime match)."""
    rel = path.relative_to(root).as_posix()
    return _entry(rel, str(path), cache, memoryview(bytearray(CHUNK)))


def build_manifest(
    root: Path, *, cache: HashCache | None = None, generated: datetime | None = None
) -> Manifest:
    """The manifest of every file under root, sorted by path.

    ``cache`` (one per root, kept by the caller between builds) lets unchanged files — same
    size and mtime — skip hashing; it is updated in place and pruned of vanished files.
    """
    buffer = memoryview(bytearray(CHUNK))
    files = [_entry(rel, path, cache, buffer) for rel, path in sorted(_walk(root))]
    if cache is not None:
        for rel in cache.keys() - {entry["path"] for entry in files}:
            del cache[rel]
    when = (generated or datetime.now(UTC)).astimezone(UTC)
    return {"format": FORMAT, "generated": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "files": files}


def dumps(manifest: Mapping[str, Any]) -> bytes:
    """Deterministic UTF-8 JSON: sorted keys, one file entry per line, trailing newline."""

    def value(item: Any) -> str:
        return json.dumps(item, sort_keys=True, ensure_ascii=False)

    fields = []
    for key in sorted(manifest):
        item = manifest[key]
        if isinstance(item, list) and item:
            rendered = "[\n" + ",\n".join(f"    {value(x)}" for x in item) + "\n  ]"
        else:
            rendered = value(item)
        fields.append(f"  {value(key)}: {rendered}")
    return ("{\n" + ",\n".join(fields) + "\n}\n").encode()


# --- keys and signing ---------------------------------------------------------------------


def generate_key() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair: (private PEM, PKCS8 unencrypted; public PEM, SubjectPublicKeyInfo)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private, _public_pem(key.public_key())


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _private_key(private_key_pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 private key")
    return key


def public_key_from(private_key_pem: bytes) -> bytes:
    """The public PEM matching a private Ed25519 PEM — the key to publish for readers."""
    return _public_pem(_private_key(private_key_pem).public_key())


def write_manifest(
    root: Path,
    *,
    private_key_pem: bytes | None = None,
    cache: HashCache | None = None,
    generated: datetime | None = None,
) -> Manifest:
    """Write ``manifest.json`` (and its signature when a key is given) atomically into root.

    Without a key, a stale ``manifest.json.sig`` is removed rather than left unverifiable.
    """
    key = _private_key(private_key_pem) if private_key_pem is not None else None
    manifest = build_manifest(root, cache=cache, generated=generated)
    _write_signed(root, manifest, key)
    return manifest


def _write_signed(root: Path, manifest: Manifest, key: Ed25519PrivateKey | None) -> None:
    data = dumps(manifest)
    write_atomic(root / MANIFEST, data, durable=True)
    if key is not None:
        write_atomic(root / SIGNATURE, base64.b64encode(key.sign(data)) + b"\n", durable=True)
    else:
        with suppress(FileNotFoundError):
            (root / SIGNATURE).unlink()


def update_manifest(
    root: Path,
    *,
    changed: Sequence[str],
    removed: Sequence[str],
    private_key_pem: bytes | None = None,
    generated: datetime | None = None,
) -> Manifest:
    """Rewrite the manifest of ``root`` hashing only ``changed`` files (and dropping
    ``removed`` ones); without a readable manifest, every file is hashed."""
    try:
        old, problems = read_manifest((root / MANIFEST).read_bytes())
    except FileNotFoundError:
        old, problems = None, ["missing"]
    if old is None or problems:
        return write_manifest(root, private_key_pem=private_key_pem, generated=generated)
    key = _private_key(private_key_pem) if private_key_pem is not None else None
    entries = {entry["path"]: entry for entry in old["files"]}
    for rel in removed:
        entries.pop(rel, None)
    buffer = memoryview(bytearray(CHUNK))
    for rel in changed:
        if rel in (MANIFEST, SIGNATURE):
            continue
        path = root / rel
        if path.is_file():
            entries[rel] = _entry(rel, str(path), None, buffer)
        else:
            entries.pop(rel, None)
    when = (generated or datetime.now(UTC)).astimezone(UTC)
    manifest: Manifest = {
        "format": FORMAT,
        "generated": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": [entries[rel] for rel in sorted(entries)],
    }
    _write_signed(root, manifest, key)
    return manifest


# --- checking -----------------------------------------------------------------------------


def _signature_problems(root: Path, data: bytes, public_key_pem: bytes) -> list[str]:
    try:
        key = serialization.load_pem_public_key(public_key_pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        return [f"public key: cannot be read ({error})"]
    if not isinstance(key, Ed25519PublicKey):
        return ["public key: not an Ed25519 public key"]
    try:
        encoded = (root / SIGNATURE).read_bytes()
    except FileNotFoundError:
        return [f"{SIGNATURE}: missing"]
    except OSError as error:
        return [f"{SIGNATURE}: cannot be read ({error.strerror})"]
    try:
        key.verify(base64.b64decode(encoded.strip(), validate=True), data)
    except (binascii.Error, ValueError, InvalidSignature):
        return [f"{SIGNATURE}: invalid signature for {MANIFEST}"]
    return []


def _safe_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return (
        bool(parts)
        and PurePosixPath(*parts).as_posix() == path
        and not path.startswith("/")
        and ".." not in parts
        and "\\" not in path
        and "\x00" not in path
    )


NOT_JSON = f"{MANIFEST}: not valid JSON"


def read_manifest(data: bytes) -> tuple[Manifest | None, list[str]]:
    """The manifest in ``data`` when it and every entry are well-formed; else None and what
    is wrong (``[NOT_JSON]`` when it is not JSON at all)."""
    entries, problems = _parse(data)
    if problems:
        return None, problems
    generated = json.loads(data).get("generated")
    return {
        "format": FORMAT,
        "generated": generated if isinstance(generated, str) else "",
        "files": [entries[path] for path in sorted(entries)],
    }, []


def _parse(data: bytes) -> tuple[dict[str, FileEntry], list[str]]:
    """Entries by path and the problems of a manifest's bytes."""
    try:
        manifest = json.loads(data)
    except (ValueError, RecursionError):
        return {}, [NOT_JSON]
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return {}, [f"{MANIFEST}: malformed (no list of files)"]
    if manifest.get("format") != FORMAT:
        return {}, [f"{MANIFEST}: unsupported format {manifest.get('format')!r}"]
    entries: dict[str, FileEntry] = {}
    problems = []
    for number, item in enumerate(manifest["files"], 1):
        path = item.get("path") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        sha256 = item.get("sha256") if isinstance(item, dict) else None
        if (
            not isinstance(path, str)
            or not _safe_path(path)
            or type(size) is not int
            or size < 0
            or not isinstance(sha256, str)
            or len(sha256) != 64
            or not set(sha256) <= HEX
        ):
            problems.append(f"{MANIFEST}: malformed entry #{number}")
        elif path in entries:
            problems.append(f"{MANIFEST}: {path} listed twice")
        else:
            entries[path] = {"path": path, "size": size, "sha256": sha256}
    return entries, problems


def verify(root: Path, *, public_key_pem: bytes | None) -> list[str]:
    """Human-readable problems of a bundle against its manifest; empty when all is well.

    With a public key the signature must be present and valid. Never raises on bad input.
    """
    try:
        data = (root / MANIFEST).read_bytes()
    except FileNotFoundError:
        return [f"{MANIFEST}: missing"]
    except OSError as error:
        return [f"{MANIFEST}: cannot be read ({error.strerror})"]
    problems = [] if public_key_pem is None else _signature_problems(root, data, public_key_pem)
    entries, manifest_problems = _parse(data)
    problems += manifest_problems
    if not entries and manifest_problems:
        return problems
    buffer = memoryview(bytearray(CHUNK))
    for rel, expected in sorted(entries.items()):
        path = root / rel
        try:
            if path.stat().st_size != expected["size"]:
                problems.append(f"{rel}: changed (size differs)")
                continue
            actual = _entry(rel, str(path), None, buffer)
        except FileNotFoundError:
            problems.append(f"{rel}: missing")
            continue
        except (OSError, ValueError) as error:
            problems.append(f"{rel}: cannot be read ({error})")
            continue
        if actual["size"] != expected["size"]:
            problems.append(f"{rel}: changed (size differs)")
        elif actual["sha256"] != expected["sha256"]:
            problems.append(f"{rel}: changed (SHA-256 differs)")

    def unreadable(error: OSError) -> None:
        problems.append(f"{error.filename}: cannot be listed ({error.strerror})")

    extra = sorted(rel for rel, _ in _walk(root, unreadable) if rel not in entries)
    problems += [f"{rel}: not in the manifest" for rel in extra]
    return problems


# --- syncing ------------------------------------------------------------------------------


def changed_files(
    old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> tuple[list[str], list[str]]:
    """(paths added or changed, paths removed) going from the old manifest to the new one."""
    before = {f["path"]: (f["size"], f["sha256"]) for f in (old or {}).get("files", [])}
    after = {f["path"]: (f["size"], f["sha256"]) for f in new["files"]}
    changed = sorted(path for path, entry in after.items() if before.get(path) != entry)
    removed = sorted(before.keys() - after.keys())
    return changed, removed
