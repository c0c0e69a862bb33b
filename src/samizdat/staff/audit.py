"""Staff sign-ins in Wagtail's audit log: each success, failure and lockout is a log entry on
the account (Reports → Site history), and staff see their own on the dashboard.

An entry names the account, the time and the outcome; never the address it came from, and
for a name that is no account only "unknown account" (people type passwords into the name
field)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, ngettext
from wagtail.log_actions import LogActionRegistry, LogFormatter
from wagtail.models import ModelLogEntry

SIGNED_IN = "staff.login"
FAILED = "staff.login_failed"
LOCKED_OUT = "staff.locked_out"
ACTIONS = (SIGNED_IN, FAILED, LOCKED_OUT)

# Where a lockout applies: to the account, or to one client address.
ACCOUNT = "account"
CLIENT = "client"


def record(
    action: str, *, account: AbstractBaseUser | None, data: dict[str, Any] | None = None
) -> ModelLogEntry:
    """Write one sign-in entry about ``account`` (None: a name that is no account)."""
    User = get_user_model()
    if account is None:
        with translation.override(settings.LANGUAGE_CODE):
            label = gettext("unknown account")
    else:
        label = account.get_username()
    return ModelLogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(User, for_concrete_model=False),
        # "0": no account has it, and it reads as a key wherever Wagtail looks one up.
        object_id=str(account.pk) if account is not None else "0",
        label=label,
        action=action,
        timestamp=timezone.now(),
        user=account,
        data=data or {},
    )


def recent(user: AbstractBaseUser, *, count: int = 10) -> list[ModelLogEntry]:
    """The latest sign-ins, failures and lockouts of ``user``'s account, newest first."""
    User = get_user_model()
    return list(
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User, for_concrete_model=False),
            object_id=str(user.pk),
            action__in=ACTIONS,
        ).order_by("-timestamp", "-pk")[:count]
    )


class LockedOut(LogFormatter):
    label = gettext_lazy("Sign-in paused")

    def format_message(self, log_entry: ModelLogEntry) -> str:
        data = log_entry.data or {}
        minutes = int(data.get("minutes", 0))
        failures = int(data.get("failures", 0))
        if data.get("scope") == CLIENT:
            message = ngettext(
                "Signing in from one address paused for %(minutes)d minute after "
                "%(failures)d failed attempts from it",
                "Signing in from one address paused for %(minutes)d minutes after "
                "%(failures)d failed attempts from it",
                minutes,
            )
        else:
            message = ngettext(
                "Signing in to this account paused for %(minutes)d minute after "
                "%(failures)d failed attempts",
                "Signing in to this account paused for %(minutes)d minutes after "
                "%(failures)d failed attempts",
                minutes,
            )
        return message % {"minutes": minutes, "failures": failures}


def register_actions(actions: LogActionRegistry) -> None:
    actions.register_action(
        SIGNED_IN, gettext_lazy("Successful sign-in"), gettext_lazy("Signed in")
    )
    actions.register_action(FAILED, gettext_lazy("Failed sign-in"), gettext_lazy("Failed sign-in"))
    actions.register_action(LOCKED_OUT)(LockedOut)
