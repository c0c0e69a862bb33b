"""Stand-in until the real Ghost reader lands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from samizdat.importer import records


def read_ghost(path: Path, *, site_url: str = "", language_tags: bool = False) -> Any:
    raise records.ExportError(f"{path}: Ghost exports cannot be read yet")
