"""Stand-in until the real resolver lands: every file is unavailable (None in a dry run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from samizdat.importer import records


class MediaUnavailable(Exception):
    """The file cannot be had; the message says why."""


class Resolver:
    def __init__(
        self,
        *,
        source: str,
        uploads: Path | None = None,
        fetch_from: dict[str, str] | None = None,
        download: bool = True,
        dry_run: bool = False,
        timeout: float = 20.0,
    ) -> None:
        self.source = source
        self.dry_run = dry_run

    def image(self, ref: records.ImageRef) -> Any:
        if self.dry_run:
            return None
        raise MediaUnavailable(f"image {ref.url} not copied in (no resolver yet)")

    def document(self, url: str, *, title: str = "") -> Any:
        raise MediaUnavailable(f"document {url} not copied in (no resolver yet)")

    def media(self, url: str, *, kind: Literal["audio", "video"], title: str = "") -> Any:
        raise MediaUnavailable(f"{kind} {url} not copied in (no resolver yet)")
