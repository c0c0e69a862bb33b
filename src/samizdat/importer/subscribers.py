"""Stand-in until the real subscriber import lands: reads, writes nothing."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from samizdat.importer import records


def read_subscriber_csv(
    path: Path, *, consent_source: str, language: str = ""
) -> Iterator[records.Member]:
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            yield records.Member(
                email=row.get("email", ""), language=language, consent_source=consent_source
            )


def import_members(
    members: Iterable[records.Member], *, source: str, dry_run: bool = False
) -> dict[str, int]:
    return {"read": sum(1 for _member in members)}
