"""``samizdat seed --articles N``: fill the database with a synthetic archive."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


def progress_bar(total: int) -> Any:
    started = 0.0

    def show(done: int) -> None:
        nonlocal started
        if done == 0:
            started = time.monotonic()
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = done / elapsed
        width = 30
        filled = int(width * done / total)
        eta = (total - done) / rate if rate else 0
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"{rate:,.0f} articles/s, ETA {eta:,.0f} s "
        )
        sys.stderr.flush()

    return show


class Command(BaseCommand):
    help = "Create a synthetic archive and subscribers (for load tests and benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--articles", type=int, default=0, help="How many articles to add.")
        parser.add_argument(
            "--years", type=int, default=6, help="Spread them over this many years."
        )
        parser.add_argument("--no-search-index", action="store_true", help="Skip search indexing.")
        parser.add_argument(
            "--subscribers", type=int, default=0, help="How many confirmed subscribers to add."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from samizdat.publishing.seed import seed_articles

        count = options["articles"]
        subscribers = options["subscribers"]
        if count <= 0 and subscribers <= 0:
            raise CommandError("Say how many: samizdat seed --articles 10000 --subscribers 100000")
        if subscribers > 0:
            from samizdat.newsletter.seed import seed_subscribers

            started = time.monotonic()
            added = seed_subscribers(subscribers)
            elapsed = time.monotonic() - started
            self.stdout.write(f"Added {added} subscribers in {elapsed:.1f} s.")
        if count <= 0:
            return
        started = time.monotonic()
        created = seed_articles(
            count,
            years=options["years"],
            index_for_search=not options["no_search_index"],
            progress=progress_bar(count),
        )
        elapsed = time.monotonic() - started
        sys.stderr.write("\n")
        self.stdout.write(
            f"Created {created} articles in {elapsed:.1f} s ({created / elapsed:,.0f}/s)."
        )
