"""``samizdat newsletter send|status|receive``: send an edition now, show its counts, take in
bounces, unsubscribe and subscribe requests and confirmation replies that arrive by mail."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import pluralize

from samizdat.newsletter import actions, inbound, sending
from samizdat.newsletter.models import Edition


def describe(edition: Edition, counts: dict[str, int]) -> str:
    return (
        f"Edition {edition.pk} “{edition.subject}” ({edition.language}): {edition.status}\n"
        f"  total {counts['total']:,} · sent {counts['sent']:,} · failed {counts['failed']:,}"
        f" · bounced {counts['bounced']:,} · pending {counts['pending']:,}"
        f" · being sent {counts['claimed']:,}"
    )


class Progress(threading.Thread):
    """Redraws a progress line (sent / failed / rate / ETA) every half second."""

    def __init__(self, edition_id: int, stream: Any) -> None:
        super().__init__(daemon=True)
        self.edition_id = edition_id
        self.stream = stream
        self.stop = threading.Event()
        self.started_at = time.monotonic()
        self.started_done: int | None = None

    def draw(self) -> None:
        counts = actions.delivery_counts(self.edition_id)
        total = counts["total"] or 1
        done = counts["sent"] + counts["failed"] + counts["bounced"]
        if self.started_done is None:  # a resumed send: rate only what this run sends
            self.started_at, self.started_done = time.monotonic(), done
        elapsed = max(time.monotonic() - self.started_at, 1e-6)
        rate = (done - self.started_done) / elapsed
        eta = (total - done) / rate if rate > 0 else 0
        filled = int(30 * done / total)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] sent {counts['sent']:,}"
            f" · failed {counts['failed'] + counts['bounced']:,} · of {counts['total']:,}"
            f" · {rate:,.0f}/s · ETA {eta:,.0f} s "
        )
        self.stream.flush()

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.wait(0.5):
                self.draw()
            self.draw()
        finally:
            connection.close()


class Command(BaseCommand):
    help = "Send an edition now (or resume a half-sent one), show its counts, or read inbound mail."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        send = commands.add_parser("send", help="Send (or resume) an edition now, with progress.")
        send.add_argument("edition_id", type=int)
        send.add_argument("--connections", type=int, default=None)
        status = commands.add_parser("status", help="Print an edition's delivery counts.")
        status.add_argument("edition_id", type=int)
        commands.add_parser(
            "receive",
            help="Read one message on stdin: a bounce report, an unsubscribe request, or a "
            "reader's request to subscribe or confirmation reply (pipe the bounce, unsubscribe "
            "and subscribe mailboxes here from the mail server).",
        )

    def edition(self, edition_id: int) -> Edition:
        edition = Edition.objects.filter(pk=edition_id).first()
        if edition is None:
            raise CommandError(f"There is no edition {edition_id}.")
        return edition

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "receive":
            result = inbound.receive(sys.stdin.buffer.read())
            self.stdout.write(result)
            return
        edition = self.edition(options["edition_id"])
        if action == "status":
            self.stdout.write(describe(edition, actions.delivery_counts(edition.pk)))
            return
        if edition.status == Edition.Status.SENT:
            self.stdout.write(describe(edition, actions.delivery_counts(edition.pk)))
            raise CommandError("This edition has been sent already; nothing to do.")
        if edition.status in {Edition.Status.DRAFT, Edition.Status.SCHEDULED}:
            try:
                frozen = actions.send_edition(edition_id=edition.pk)
            except ValueError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                f"Sending edition {edition.pk} to {frozen:,} subscriber{pluralize(frozen)}."
            )
        else:
            self.stdout.write(f"Resuming edition {edition.pk}.")
        progress = Progress(edition.pk, sys.stderr)
        progress.start()
        try:
            sending.drain(edition_id=edition.pk, connections=options["connections"])
        except sending.ServerDown as error:
            raise CommandError(
                f"The mail server cannot be reached ({error}). Nothing is lost: run this "
                "command again, or let the worker resume the edition."
            ) from error
        finally:
            progress.stop.set()
            progress.join()
            sys.stderr.write("\n")
        edition.refresh_from_db()
        self.stdout.write(describe(edition, actions.delivery_counts(edition.pk)))
