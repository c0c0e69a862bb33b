"""``samizdat edition build``: the week's stories as one HTML file and one EPUB book per
language, listed on /<lang>/editions/ and written into the bundle under ``<lang>/editions/``.
``--out DIR`` also writes the files (and their signatures) into DIR."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from samizdat.core.files import write_atomic
from samizdat.editions import actions, build


class Command(BaseCommand):
    help = "The week's stories as files to read offline (HTML and EPUB, signed)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        make = commands.add_parser(
            "build", help="Make this week's edition (or WEEK's: 2026-W49) in every language."
        )
        make.add_argument("--week", help="an ISO week, e.g. 2026-W49 (default: this week)")
        make.add_argument("--language", action="append", help="only this language (repeatable)")
        make.add_argument("--out", type=Path, help="also write the files into this directory")

    def handle(self, *args: Any, **options: Any) -> None:
        languages = options["language"] or [code for code, _name in settings.LANGUAGES]
        unknown = sorted(set(languages) - set(dict(settings.LANGUAGES)))
        if unknown:
            raise CommandError(f"unknown language: {', '.join(unknown)}")
        if options["week"]:
            parsed = build.Week.parse(options["week"], languages[0])
            if parsed is None:
                raise CommandError(f"not an ISO week: {options['week']} (write it as 2026-W49)")
            year, number = parsed.year, parsed.week
        else:
            year, number, _day = timezone.localdate().isocalendar()
        if date.fromisocalendar(year, number, 1) > timezone.localdate():
            raise CommandError(f"{year}-W{number:02d} has not begun yet")
        for language in languages:
            week = actions.build_week(language=language, year=year, week=number)
            made = build.files(week)
            sizes = ", ".join(f"{kind} {len(made.data(kind)):,} bytes" for kind in build.KINDS)
            self.stdout.write(
                f"{language} {week.slug}: {len(made.stories)} stories; {sizes}; "
                f"{settings.SITE_URL}/{language}/editions/"
            )
            if options["out"]:
                self._write(options["out"], week, made)

    def _write(self, folder: Path, week: build.Week, made: build.Files) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for kind in build.KINDS:
            data = made.data(kind)
            target = folder / week.file_name(kind)
            write_atomic(target, data)
            signature = build.signature(data)
            if signature is not None:
                write_atomic(target.with_name(target.name + ".sig"), signature)
            self.stdout.write(f"  {target}")
