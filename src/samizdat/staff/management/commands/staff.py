"""``samizdat staff reset-2fa USERNAME``: an administrator removes a colleague's second
factors (a lost phone or key), so that they enrol again at their next sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from samizdat.staff import actions


class Command(BaseCommand):
    help = "Manage staff accounts' sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        reset = commands.add_parser(
            "reset-2fa",
            help="Remove every second factor of a user (passkeys, apps, recovery codes); "
            "they enrol again at their next sign-in.",
        )
        reset.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = options["username"]
        user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        reset = actions.reset_second_factor(user_id=user.pk)
        self.stdout.write(
            f"Removed from {username}: {reset.passkeys} passkey(s), {reset.apps} "
            f"authenticator app(s), {reset.recovery_codes} unused recovery code(s). "
            "They set up a new second factor at their next sign-in."
        )
