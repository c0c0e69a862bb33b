"""``samizdat keys generate|rotate``: the keys that encrypt readers' and donors' data.

``generate`` prints a new key. ``rotate`` rewrites every encrypted value that is not yet under
``SAMIZDAT_DATA_KEY`` (read with a key of ``SAMIZDAT_DATA_KEYS_OLD``, or plaintext written
before encryption existed) and, with ``--rehash``, recomputes every digest with
``SAMIZDAT_LOOKUP_KEY``. It works in batches, each its own transaction, and writes a value
only if the row still holds what was read: it is safe while the site runs, and running it again
after an interruption takes up where it stopped (what is done counts as current).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from samizdat.core import crypto
from samizdat.core.fields import encrypted_fields, rotate_column


class Command(BaseCommand):
    help = "Generate a data key, or re-encrypt personal data with the current keys."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("generate", help="print a new key")
        rotate = commands.add_parser(
            "rotate",
            help="re-encrypt every value not yet under SAMIZDAT_DATA_KEY (also plaintext)",
        )
        rotate.add_argument("--batch-size", type=int, default=500)
        rotate.add_argument(
            "--rehash",
            action="store_true",
            help="also recompute every digest with SAMIZDAT_LOOKUP_KEY (after changing it)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "generate":
            self.stdout.write(crypto.generate_key())
            return
        for model in apps.get_models():
            for field in encrypted_fields(model):
                counts = rotate_column(
                    model, field, batch_size=options["batch_size"], rehash=options["rehash"]
                )
                summary = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
                self.stdout.write(f"{model._meta.label}.{field.name}: {summary or 'empty'}")
