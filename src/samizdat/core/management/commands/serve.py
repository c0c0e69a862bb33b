"""``samizdat serve``: the production web server (gunicorn) for this installation."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the site with gunicorn (put nginx or another TLS proxy in front)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("SAMIZDAT_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("SAMIZDAT_WORKERS", "2"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [
            sys.executable, "-m", "gunicorn", "samizdat.wsgi:application",
            "--bind", options["bind"], "--workers", str(options["workers"]),
            "--access-logfile", "-", "--access-logformat", '%(t)s "%(r)s" %(s)s %(b)s %(M)sms',
        ]  # fmt: skip
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process by design
