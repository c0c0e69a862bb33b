"""How many requests the property tests sent to each endpoint, and what came back (kept
apart from the harness so the session's summary reads it without importing Django)."""

from __future__ import annotations

import collections

CASES: collections.Counter[tuple[str, int]] = collections.Counter()


def count(endpoint: str, status: int) -> None:
    CASES[(endpoint, status)] += 1
