"""``samizdat serve``: the production web server (gunicorn) for this installation."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from samizdat.core.management.commands.demo import refuse_demo_data


class Command(BaseCommand):
    help = "Serve the site with gunicorn (put nginx or another TLS proxy in front)."

    # The access log names method, path (no query string: searches stay private), status,
    # size and duration; never the client's address. The error log goes through
    # core/serve_logging.py, which takes the addresses gunicorn writes there out.

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("SAMIZDAT_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("SAMIZDAT_WORKERS", "2"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_demo_data("serve")
        if options["workers"] > 1 and not settings.REDIS_URL:
            self.stderr.write(
                "samizdat: several workers without SAMIZDAT_REDIS_URL keep separate caches; "
                "navigation and privacy changes reach the others only after a few minutes."
            )
        argv = [
            sys.executable, "-m", "gunicorn", "samizdat.wsgi:application",
            "--bind", options["bind"], "--workers", str(options["workers"]),
            "--access-logfile", "-", "--access-logformat", '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
            "--logger-class", "samizdat.core.serve_logging.Logger",
        ]  # fmt: skip
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process by design
