"""``samizdat import wordpress FILE.xml``, ``samizdat import ghost FILE.json`` and
``samizdat import subscribers FILE.csv``: move an old site's archive (and readers) in.

A second run updates what changed and leaves the rest; ``--dry-run`` says what would happen
and writes nothing. The report is printed at the end (and written to ``--report``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.importer import media, records, subscribers
from samizdat.importer.actions import import_export, source_name
from samizdat.importer.report import Report


class Counter:
    """``\\r``-counter of posts done on a terminal, with the rate (and the time left when
    the export says how many posts it holds)."""

    def __init__(self, stream: TextIO, total: int | None = None) -> None:
        self.stream = stream
        self.total = total
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, done: int) -> None:
        self.shown = True
        rate = done / max(time.monotonic() - self.started, 1e-6)
        line = f"\r{done}" + (f"/{self.total}" if self.total else "") + f" posts, {rate:,.0f}/s"
        if self.total and rate:
            line += f", ETA {max(self.total - done, 0) / rate:,.0f} s"
        self.stream.write(line + " ")
        self.stream.flush()

    def end(self) -> None:
        if self.shown:
            self.stream.write("\n")


def pairs(values: list[str], option: str) -> dict[str, str]:
    """``["old=new", …]`` as a mapping; a value without ``=`` is refused."""
    found = {}
    for value in values:
        old, sign, new = value.partition("=")
        if not sign or not old.strip() or not new.strip():
            raise CommandError(f"{option} wants OLD=NEW, not {value!r}")
        found[old.strip()] = new.strip()
    return found


def existing_file(name: str) -> Path:
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    return path


class Command(BaseCommand):
    help = "Move an old site's archive (WordPress, Ghost) or a list of subscribers in."

    def add_arguments(self, parser: CommandParser) -> None:
        systems = parser.add_subparsers(dest="system", required=True)
        wordpress = systems.add_parser("wordpress", help="A WordPress export (WXR, .xml).")
        ghost = systems.add_parser("ghost", help="A Ghost 3–6 “Export content” file (.json).")
        for sub in (wordpress, ghost):
            sub.add_argument("file")
            sub.add_argument(
                "--uploads",
                help="The old site's uploads folder (wp-content/uploads or content/images), "
                "where images are found before they are downloaded.",
            )
            sub.add_argument(
                "--fetch-from",
                action="append",
                default=[],
                metavar="ORIGIN=URL",
                help="Download the files of ORIGIN from URL instead (repeatable).",
            )
            sub.add_argument(
                "--no-download",
                action="store_true",
                help="Take files only from --uploads; what is not there is dropped and reported.",
            )
            sub.add_argument(
                "--section",
                action="append",
                default=[],
                metavar="OLD=NEW",
                help="File the posts of category OLD (Ghost: primary tag, with "
                "--sections-from-tags) under section NEW (repeatable).",
            )
            sub.add_argument(
                "--default-section", help="The section of posts without a category (its slug)."
            )
            sub.add_argument(
                "--language",
                action="append",
                default=[],
                metavar="OLD=NEW",
                help="Import items in language OLD into this site's language NEW (repeatable).",
            )
            sub.add_argument(
                "--dry-run", action="store_true", help="Say what would happen; write nothing."
            )
            sub.add_argument("--report", help="Also write the report to this file.")
        ghost.add_argument("--site-url", default="", help="The Ghost site's address.")
        ghost.add_argument(
            "--language-tags",
            action="store_true",
            help="Take tags named like a language code (#ru, #en) as the post's language.",
        )
        ghost.add_argument(
            "--sections-from-tags",
            action="store_true",
            help="File each post under a section named after its primary (first public) tag.",
        )
        ghost.add_argument(
            "--members",
            action="store_true",
            help="Also import the members who agreed to receive the newsletter.",
        )
        csv_file = systems.add_parser(
            "subscribers", help="Newsletter subscribers from a CSV file with an email column."
        )
        csv_file.add_argument("file")
        csv_file.add_argument(
            "--consent-source",
            required=True,
            help="Where and how these people agreed to receive the newsletter "
            "(kept as their consent record).",
        )
        csv_file.add_argument("--language", default="", help="Their language (e.g. ru).")
        csv_file.add_argument(
            "--dry-run", action="store_true", help="Say what would happen; write nothing."
        )

    def handle(self, *args: Any, system: str, **options: Any) -> None:
        path = existing_file(options["file"])
        if system == "subscribers":
            self._subscribers(path, **options)
            return
        export = self._read(system, path, options)
        source = source_name(export.source)
        resolver = media.Resolver(
            source=source,
            uploads=Path(options["uploads"]) if options["uploads"] else None,
            fetch_from=pairs(options["fetch_from"], "--fetch-from"),
            download=not options["no_download"],
            dry_run=options["dry_run"],
        )
        counter = None
        if sys.stderr.isatty():
            counter = Counter(sys.stderr, getattr(export, "post_count", None))
        try:
            report = import_export(
                export,
                resolver=resolver,
                dry_run=options["dry_run"],
                section_map=pairs(options["section"], "--section"),
                default_section=options["default_section"],
                languages=pairs(options["language"], "--language"),
                progress=counter,
            )
        except records.ExportError as error:
            raise CommandError(str(error)) from error
        finally:
            if counter is not None:
                counter.end()
        if system == "ghost" and options["members"]:
            report.subscribers = subscribers.import_members(
                export.members(), source=source, dry_run=options["dry_run"]
            )
        self._show(report, options["report"])
        if report.stopped:
            raise CommandError(
                f"The export could not be read to the end: {report.stopped}. "
                "What was read before is imported; run again with the file complete."
            )

    def _read(self, system: str, path: Path, options: dict[str, Any]) -> Any:
        try:
            if system == "wordpress":
                from samizdat.importer.wordpress import read_wordpress

                return read_wordpress(path)
            from samizdat.importer.ghost import read_ghost

            return read_ghost(
                path,
                site_url=options["site_url"],
                language_from_tags=options["language_tags"],
                sections_from_tags=options["sections_from_tags"],
            )
        except records.ExportError as error:
            raise CommandError(str(error)) from error

    def _show(self, report: Report, target: str | None) -> None:
        text = report.render()
        self.stdout.write(text, ending="")
        if target:
            try:
                Path(target).write_text(text, encoding="utf-8")
            except OSError as error:
                raise CommandError(
                    f"The report could not be written to {target}: {error}"
                ) from error

    def _subscribers(self, path: Path, **options: Any) -> None:
        try:
            members = subscribers.read_subscriber_csv(
                path, consent_source=options["consent_source"], language=options["language"]
            )
            summary = subscribers.import_members(
                members, source=f"csv:{path.name}", dry_run=options["dry_run"]
            )
        except records.ExportError as error:
            raise CommandError(str(error)) from error
        report = Report(source=f"csv:{path.name}", dry_run=options["dry_run"], subscribers=summary)
        self._show(report, None)
