"""Where the browser tests leave their screenshots of the site, for anyone to look at."""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent.parent


def screenshots_dir() -> Path:
    """``SAMIZDAT_SCREENSHOTS_DIR``, or ``var/screenshots/`` in the checkout (``var/`` is
    ignored by git, so screenshots never end up in a commit)."""
    chosen = os.environ.get("SAMIZDAT_SCREENSHOTS_DIR")
    return Path(chosen).resolve() if chosen else REPOSITORY / "var" / "screenshots"


def taken_since(started: float) -> list[Path]:
    """The screenshots written since ``started`` (a time stamp), by name."""
    folder = screenshots_dir()
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.glob("*.png") if path.stat().st_mtime >= started)
