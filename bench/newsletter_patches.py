"""Variants of the newsletter sender, applied as patches so the benchmark can compare them.

Nothing here changes ``src/``: each patch replaces something in the running process (a worker
started by ``bench.newsletter_worker``, or ``bench.newsletter_app profile``), leaving whatever
else ``src/`` does as it is.

- ``record_each``: one commit per letter (``SAMIZDAT_NEWSLETTER_RECORD_BATCH=1``), what the
  sender did before it recorded outcomes in batches: at most one letter per claim in doubt.
"""

from __future__ import annotations

from collections.abc import Callable


def record_each() -> None:
    from django.conf import settings

    settings.NEWSLETTER_RECORD_BATCH = 1


PATCHES: dict[str, Callable[[], None]] = {
    "record_each": record_each,
}


def apply(names: list[str]) -> None:
    """Apply the named patches (after ``django.setup()``)."""
    unknown = [name for name in names if name not in PATCHES]
    if unknown:
        raise SystemExit(f"bench: unknown patch {', '.join(unknown)}; known: {', '.join(PATCHES)}")
    for name in names:
        PATCHES[name]()
