"""``samizdat reach fold LOGFILE…``: count the page reads of access logs (in the format
``samizdat mirror nginx-conf --reach-log`` writes) from where the last fold stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.reach import actions


class Command(BaseCommand):
    help = "Where readers come from: fold access logs into daily counts."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        fold = commands.add_parser(
            "fold",
            help="count the page reads of these logs (default: SAMIZDAT_REACH_LOGS) from where "
            "the last fold stopped; a rotated or truncated log is read from its start",
        )
        fold.add_argument("logs", nargs="*", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.REACH_COUNTS:
            raise CommandError("Counting is off (SAMIZDAT_REACH_COUNTS): nothing was read.")
        logs = options["logs"] or [Path(log) for log in settings.REACH_LOGS]
        if not logs:
            raise CommandError("Name the logs to fold, or set SAMIZDAT_REACH_LOGS.")
        for report in actions.fold(paths=logs):
            if report.missing:
                self.stderr.write(f"{report.path}: no such file")
                continue
            note = " (rotated or truncated: read from its start)" if report.restarted else ""
            skipped = f", {report.skipped:,} skipped (not in the format)" if report.skipped else ""
            self.stdout.write(
                f"{report.path}: {report.lines:,} new lines, {report.reads:,} page reads"
                f"{skipped}{note}"
            )
