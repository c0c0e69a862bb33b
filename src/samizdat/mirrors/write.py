"""Writing the bundle: where each address goes, its precompressed siblings, and files written
only when their bytes change, atomically, so a reader never gets half a page and unchanged
files keep their dates."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

import brotli
from django.contrib.staticfiles import finders

from samizdat.core import storage as uploads
from samizdat.core.files import write_atomic
from samizdat.core.paths import index_file
from samizdat.mirrors.render import PUBLIC_MEDIA

COMPRESSIBLE = frozenset({".html", ".xml", ".css", ".js", ".svg", ".txt", ".json"})
COMPRESSED = (".gz", ".br")
# Pages change often and are many: a fast brotli level; the few assets get the best one.
BROTLI_PAGE_QUALITY = 5
BROTLI_ASSET_QUALITY = 11
# gzip's level 6 makes a build's pages 0.3 % larger than level 9, in a sixth less time.
GZIP_LEVEL = 6
ASSET_NAMESPACE = "samizdat"

logger = logging.getLogger(__name__)


class BundleError(Exception):
    """The bundle cannot be built (a page fails to render, the directory is unusable)."""


def file_for(url_path: str) -> str:
    """The bundle file of a public URL path: ``/en/news/`` → ``en/news/index.html``."""
    return index_file(url_path).lstrip("/")


def safe_path(root: Path, rel: str) -> Path:
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise BundleError(f"{rel}: outside the bundle")
    return target


def _compressed(rel: str, data: bytes, *, asset: bool) -> dict[str, bytes]:
    if Path(rel).suffix not in COMPRESSIBLE:
        return {}
    quality = BROTLI_ASSET_QUALITY if asset else BROTLI_PAGE_QUALITY
    return {
        rel + ".gz": gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0),
        rel + ".br": brotli.compress(data, quality=quality),
    }


def write_file(root: Path, rel: str, data: bytes, *, asset: bool = False) -> list[str]:
    """Write ``rel`` and its compressed siblings when their bytes differ; the paths written."""
    target = safe_path(root, rel)
    try:
        same = target.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        same = False
    compressible = Path(rel).suffix in COMPRESSIBLE
    names = [rel + suffix for suffix in COMPRESSED] if compressible else []
    if same and all((root / name).exists() for name in names):
        return []  # nothing compressed again: the siblings were made from these bytes
    written = []
    if not same:
        write_atomic(target, data)
        written.append(rel)
    for name, packed in _compressed(rel, data, asset=asset).items():
        path = root / name
        if not same or not path.exists():
            write_atomic(path, packed)
            written.append(name)
    return written


def changed_files(rel: str, data: bytes, known: dict[str, str]) -> dict[str, bytes]:
    """What ``write_file`` would write into a bundle whose files have the SHA-256 ``known``
    (the last manifest's), decided without the bundle at hand: ``rel`` when its bytes differ,
    its compressed siblings then or when they are missing."""
    same = known.get(rel) == hashlib.sha256(data).hexdigest()
    compressible = Path(rel).suffix in COMPRESSIBLE
    names = [rel + suffix for suffix in COMPRESSED] if compressible else []
    if same and all(name in known for name in names):
        return {}
    files = {} if same else {rel: data}
    for name, packed in _compressed(rel, data, asset=False).items():
        if not same or name not in known:
            files[name] = packed
    return files


def write_changed(root: Path, files: dict[str, bytes]) -> list[str]:
    """Write the files another process rendered (``changed_files``) whose bytes differ from
    those here; the paths written."""
    written = []
    for rel in sorted(files):
        target = safe_path(root, rel)
        try:
            same = target.read_bytes() == files[rel]
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            same = False
        if not same:
            write_atomic(target, files[rel])
            written.append(rel)
    return written


def remove_file(root: Path, rel: str) -> list[str]:
    """Remove ``rel`` and its compressed siblings, then directories left empty."""
    removed = []
    for name in (rel, *(rel + suffix for suffix in COMPRESSED)):
        with suppress(FileNotFoundError):
            safe_path(root, name).unlink()
            removed.append(name)
    parent = (root / rel).parent
    while parent != root and parent.is_relative_to(root):
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return removed


def copy_media(root: Path, names: Iterable[str]) -> list[str]:
    """Copy the uploads the pages link in the public folders (``PUBLIC_MEDIA``) into the
    bundle: renditions, documents, audio, video and subtitles, read through the uploads'
    storage (this node's disk or the shared bucket) as streams; a file the bundle already
    holds byte for byte is not copied again. A linked file the storage lacks is logged."""
    written = []
    for rel in sorted(names):
        name = rel.removeprefix("media/")
        if not rel.startswith(PUBLIC_MEDIA) or ".." in name.split("/"):
            continue
        if Path(rel).suffix in COMPRESSIBLE:  # a text document, with its compressed siblings
            if uploads.size(name) is None:
                logger.warning("%s: a page links it, but the uploads have no such file", rel)
                continue
            with uploads.reader(name) as source:
                written += write_file(root, rel, source.read(), asset=True)
            continue
        target = safe_path(root, rel)
        if uploads.same_bytes(name, target):
            continue
        if uploads.size(name) is None:
            logger.warning("%s: a page links it, but the uploads have no such file", rel)
            continue
        with uploads.reader(name) as source:
            write_atomic(target, source)
        written.append(rel)
    return written


def assets() -> dict[str, Path]:
    """Static files of the reader pages: ``static/samizdat/…`` → source file."""
    found: dict[str, Path] = {}
    for finder in finders.get_finders():
        for name, storage in finder.list([]):
            if name.replace(os.sep, "/").startswith(f"{ASSET_NAMESPACE}/"):
                rel = f"static/{name.replace(os.sep, '/')}"
                found.setdefault(rel, Path(storage.path(name)))
    return found
