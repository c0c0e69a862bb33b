"""``samizdat donations payment-links``: Stripe Payment Links for every suggested amount, the
way to give that still works where no address of the app can be reached."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.donations import appeal
from samizdat.donations.payment_links import PaymentLinksError, sync_payment_links


class Command(BaseCommand):
    help = "Donations: payment-links (make or update the Stripe Payment Links of the appeal)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser(
            "payment-links",
            help="a Stripe Payment Link for every suggested amount, frequency and currency; "
            "links for amounts no longer suggested are deactivated",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "payment-links":
            try:
                report = sync_payment_links()
            except PaymentLinksError as error:
                raise CommandError(str(error)) from None
            for title, rows in (
                ("created", report.created),
                ("reactivated", report.reactivated),
                ("deactivated", report.deactivated),
            ):
                for row in rows:
                    amount = appeal.money(row.amount, row.currency, "en")
                    self.stdout.write(f"{title}: {amount} {row.frequency} {row.url}")
            self.stdout.write(
                f"{len(report.created)} created, {len(report.reactivated)} reactivated, "
                f"{len(report.kept)} unchanged, {len(report.deactivated)} deactivated."
            )
