"""``samizdat seed --articles N --subscribers N``: synthetic data for load tests and benchmarks.

Each app registers what it can add (``hooks.SEEDERS``); this command offers one option each.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.core import hooks


class ProgressBar:
    """A one-line progress bar on stderr: ``bar(done, total)``."""

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self.started = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        self.shown = True
        if done == 0:
            self.started = time.monotonic()
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = done / elapsed
        width = 30
        filled = int(width * done / max(total, 1))
        eta = (total - done) / rate if rate else 0
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"{rate:,.0f} {self.noun}/s, ETA {eta:,.0f} s "
        )
        sys.stderr.flush()

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


class Command(BaseCommand):
    help = "Add synthetic data (articles, subscribers…) for load tests and benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        for seeder in hooks.seeders():
            seeder.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = [(seeder, options[seeder.option]) for seeder in hooks.seeders()]
        wanted = [(seeder, count) for seeder, count in wanted if count > 0]
        if not wanted:
            example = " ".join(f"--{seeder.option} 1000" for seeder in hooks.seeders())
            raise CommandError(f"Say how many: samizdat seed {example}")
        for seeder, count in wanted:
            started = time.monotonic()
            bar = ProgressBar(seeder.noun)
            added = seeder.add(count, options, bar)
            elapsed = max(time.monotonic() - started, 1e-6)
            bar.end()
            self.stdout.write(
                f"Added {added} {seeder.noun} in {elapsed:.1f} s ({added / elapsed:,.0f}/s)."
            )
