"""Proposed changes to the newsletter sender, applied as patches so the benchmark can measure them.

Nothing here changes ``src/``: each patch replaces one function in the running process (a
worker started by ``bench.newsletter_worker``, or ``bench.newsletter_app profile``), leaving
whatever else ``src/`` does as it is. Each keeps what a subscriber gets byte for byte and the
sender's crash semantics (at most one letter per claim in doubt), except ``group_commit``,
which says so.

- ``async_commit``: PostgreSQL only, ``SET synchronous_commit = off`` on the sender's
  connection for the duration of ``send_loop``. A worker crash loses nothing; a crash of the
  database server itself can lose the last fraction of a second of records, whose letters then
  go out again.
- ``group_commit``: each sender thread writes the records of up to 20 letters (or 50 ms) in one
  transaction. A worker crash then leaves up to 20 letters in doubt instead of one: measured to
  show the price of the one-commit-per-letter guarantee, not proposed as is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


def async_commit() -> None:
    from django.db import connection

    from samizdat.newsletter import sending

    original = sending.send_loop

    def send_loop(edition_id: int, prepared: Any, stats: dict[str, int]) -> None:
        if connection.vendor != "postgresql":
            original(edition_id, prepared, stats)
            return
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        try:
            original(edition_id, prepared, stats)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")

    sending.send_loop = send_loop


GROUP = 20
GROUP_SECONDS = 0.05


def group_commit() -> None:
    """Each sender thread keeps its outcomes and writes them in one short transaction once it
    has GROUP of them, or after GROUP_SECONDS, and before it claims more."""
    from django.db import transaction

    from samizdat.newsletter import sending

    original_record = sending.record
    original_claim = sending.claim
    local = threading.local()

    def flush() -> None:
        pending = getattr(local, "pending", [])
        local.pending, local.since = [], time.monotonic()
        if pending:
            with transaction.atomic():
                for args in pending:
                    original_record(*args)

    def record(delivery_id: int, token: str, outcome: Any, attempts: int) -> bool:
        if not hasattr(local, "pending"):
            local.pending, local.since = [], time.monotonic()
        local.pending.append((delivery_id, token, outcome, attempts))
        if len(local.pending) >= GROUP or time.monotonic() - local.since > GROUP_SECONDS:
            flush()
        return True  # a claim taken over is not noticed here (measurement only)

    def claim(
        edition_id: int, token: str, size: int = sending.CLAIM_SIZE
    ) -> list[tuple[int, int, str]]:
        flush()
        return original_claim(edition_id, token, size)

    sending.record = record
    sending.claim = claim


PATCHES: dict[str, Callable[[], None]] = {
    "async_commit": async_commit,
    "group_commit": group_commit,
}


def apply(names: list[str]) -> None:
    """Apply the named patches (after ``django.setup()``)."""
    unknown = [name for name in names if name not in PATCHES]
    if unknown:
        raise SystemExit(f"bench: unknown patch {', '.join(unknown)}; known: {', '.join(PATCHES)}")
    for name in names:
        PATCHES[name]()
