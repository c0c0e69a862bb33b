"""Files that readers, servers and other processes see whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO


def write_atomic(
    path: Path, data: bytes | BinaryIO, *, mode: int = 0o644, durable: bool = False
) -> None:
    """Write ``data`` (bytes, or a binary file to copy) to ``path`` through a temporary file
    in the same directory renamed over it: a reader sees the old file or the new one, never
    half of one. ``mode`` is the file's permissions (0o644: a web server may serve it);
    ``durable`` also flushes it to the disk before the rename (what must survive a crash)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except FileNotFoundError:
        # The directory is made only when missing: a build writes thousands of files into
        # directories that mostly exist, and asking first costs two system calls a file.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(data, bytes):
                out.write(data)
            else:
                shutil.copyfileobj(data, out, 1024 * 1024)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
