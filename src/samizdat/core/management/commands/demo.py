"""``samizdat demo``: migrate, seed the demo newsroom, then serve the site with a worker."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.core import hooks
from samizdat.core.signals import paused

DEMO_PASSWORD = "samizdat-demo"  # noqa: S105 - a local demo, refused without debug mode
DEMO_USERS = [
    ("admin", None, True),
    ("editor", "Editors", False),
    ("reporter", "Reporters", False),
]


# Left in the data folder by `samizdat demo`: `serve` and `worker` refuse it with debug off,
# since its accounts have the password above and a superuser may add a command mirror target.
DEMO_MARKER = "made-by-samizdat-demo"


def demo_marker() -> Path:
    return Path(settings.DATA_DIR) / DEMO_MARKER


def mark_demo_data() -> None:
    """Note in the data folder that the demo made it (before it makes anything)."""
    demo_marker().write_text(
        "This data folder was made by `samizdat demo`: its staff accounts have a published\n"
        "password. `samizdat serve` and `samizdat worker` refuse it unless SAMIZDAT_DEBUG=1.\n"
        "Start production from an empty SAMIZDAT_DATA_DIR and a new database instead.\n"
    )


def demo_data_refusal(what: str) -> str | None:
    """Why ``what`` must not run here: debug is off and the demo made the data folder."""
    if settings.DEBUG or not demo_marker().exists():
        return None
    return (
        f"{settings.DATA_DIR} was made by `samizdat demo`: its accounts (admin, editor, "
        f"reporter) have a password published with samizdat, and anyone who signs in as admin "
        f"can make the server run commands. {what} does not run on it with debug off. Start "
        f"fresh: point SAMIZDAT_DATA_DIR at an empty folder (and SAMIZDAT_DATABASE_URL, if you "
        f"use one, at a new database), then run `samizdat migrate` and `samizdat "
        f"createsuperuser`. To keep exploring the demo, run `samizdat demo`."
    )


def refuse_demo_data(command: str) -> None:
    """Stop the command ``samizdat <command>`` with debug off on a data folder the demo made."""
    refusal = demo_data_refusal(f"`samizdat {command}`")
    if refusal:
        raise CommandError(refusal)


def ensure_demo_users() -> list[tuple[str, str]]:
    """Staff accounts for the demo: a superuser, an editor and a reporter."""
    return [(username, role) for username, role, _notes in demo_logins()]


def demo_logins() -> list[tuple[str, str, list[str]]]:
    """Each demo account, its role, and what the apps say it needs to sign in besides the
    password (``hooks.DEMO_LOGINS``: the second factor)."""
    User = get_user_model()
    logins = []
    for username, group, superuser in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                email=f"{username}@example.org",
                password=DEMO_PASSWORD,
                is_staff=True,
                is_superuser=superuser,
                first_name=username.capitalize(),
            )
            if group:
                user.groups.add(Group.objects.get(name=group))
        notes = [str(note(user)) for note in hooks.registered(hooks.DEMO_LOGINS)]
        logins.append((username, group or "superuser", notes))
    return logins


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def seed_demo_content() -> dict[str, int]:
    """Every app's demo content (``hooks.DEMO_CONTENT``, in their order): what was created."""
    created: dict[str, int] = {}
    # Nothing is announced meanwhile: the worker builds the public site once, when it starts.
    with paused():
        for seed in hooks.registered(hooks.DEMO_CONTENT):
            created.update(seed())
    # Each page saved above queued its search indexing as a task, behind hundreds of others:
    # index everything now, so that search answers as soon as the site does.
    call_command("update_index", verbosity=0)
    return created


class Command(BaseCommand):
    help = "Run the demo newsroom on this machine: site, admin and a background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare the demo, then exit without serving."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "The demo runs only with SAMIZDAT_DEBUG=1; it prints known passwords."
            )
        mark_demo_data()
        # Seeding creates ~100 pages; Wagtail's log line for each would bury the logins below.
        logging.getLogger("wagtail").setLevel(logging.WARNING)
        call_command("migrate", interactive=False, verbosity=0)
        created = seed_demo_content()
        logins = demo_logins()
        summary = ", ".join(f"{count} {kind}" for kind, count in created.items())
        self.stdout.write(f"Demo newsroom ready in {settings.DATA_DIR} (created: {summary}).")
        self.stdout.write("")
        self.stdout.write(f"  Site:   http://{options['addrport']}/en/")
        self.stdout.write(f"  Admin:  http://{options['addrport']}/admin/")
        if settings.EMAIL_BACKEND.endswith("OutboxBackend"):
            self.stdout.write(
                f"  Mail:   no mail server set; letters go to {settings.EMAIL_OUTBOX_DIR}"
                " (Admin → Newsletter → Outbox)"
            )
        for username, role, notes in logins:
            extra = "".join(f", {note}" for note in notes)
            self.stdout.write(f"  Login:  {username} / {DEMO_PASSWORD}   ({role}{extra})")
        if any(notes for _username, _role, notes in logins):
            self.stdout.write(
                "          Add the key to an authenticator app (or run `oathtool --totp -b KEY`)"
                " for the code asked after the password."
            )
        self.stdout.write("")
        if options["no_serve"]:
            return
        self.serve(options["addrport"])

    def serve(self, addrport: str) -> None:
        # Stopped with TERM (a service manager, `kill`) as with Ctrl-C: the site and the
        # worker stop too, rather than outliving the command.
        signal.signal(signal.SIGTERM, _interrupt)
        env = dict(os.environ, SAMIZDAT_DEBUG="1")
        worker = subprocess.Popen([sys.executable, "-m", "samizdat.cli", "worker"], env=env)
        server = subprocess.Popen(
            [sys.executable, "-m", "samizdat.cli", "runserver", "--noreload", addrport], env=env
        )
        self.stdout.write("Serving; press Ctrl-C to stop the site and the worker.")
        try:
            while server.poll() is None and worker.poll() is None:
                try:
                    server.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
        except KeyboardInterrupt:
            pass
        finally:
            # A second TERM or Ctrl-C while they stop would leave them behind: wait it out.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            for process in (server, worker):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)  # both stop gracefully on TERM
            for process in (server, worker):
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        self.stdout.write("Stopped.")
