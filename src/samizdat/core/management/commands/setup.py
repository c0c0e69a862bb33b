"""``samizdat setup``: production on this machine (settings file, systemd units, nginx site,
migrations) in one command; the work is in ``core/setup.py``.

On a fresh machine, whose environment has no settings yet, ``samizdat setup`` runs that module
directly (``cli.py``); this command is the same from within Django (``call_command``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.core import setup


class Command(BaseCommand):
    help = (
        "Write the production settings, systemd units and nginx site under --root (default /), "
        "then migrate the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        setup.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            setup.run(options, self.stdout)
        except (setup.SetupError, OSError) as error:
            raise CommandError(str(error)) from None
