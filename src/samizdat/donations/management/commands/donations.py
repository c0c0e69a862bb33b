"""``samizdat donations payment-links``: a payment link for every suggested amount.

At each provider that makes them (Stripe's Payment Links): the way to give that still works
where no address of the app can be reached.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.donations import money
from samizdat.donations.payment_links import PaymentLinksError, makers, sync_payment_links


class Command(BaseCommand):
    help = "Donations: payment-links (make or update the payment links of the appeal)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser(
            "payment-links",
            help="a payment link (Stripe's Payment Links) for every suggested amount, "
            "frequency and currency; links for amounts no longer suggested are deactivated",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "payment-links":
            try:
                for provider in makers():
                    report = sync_payment_links(provider)
                    for title, rows in (
                        ("created", report.created),
                        ("reactivated", report.reactivated),
                        ("deactivated", report.deactivated),
                    ):
                        for row in rows:
                            amount = money.format(row.amount, row.currency, settings.LANGUAGE_CODE)
                            self.stdout.write(f"{title}: {amount} {row.frequency} {row.url}")
                    self.stdout.write(
                        f"{provider.staff_label}: {len(report.created)} created, "
                        f"{len(report.reactivated)} reactivated, {len(report.kept)} unchanged, "
                        f"{len(report.deactivated)} deactivated."
                    )
            except PaymentLinksError as error:
                raise CommandError(str(error)) from None
