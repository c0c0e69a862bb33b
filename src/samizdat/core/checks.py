"""Deployment checks (``samizdat check --deploy``) of what would open the site to anyone:
accounts that still have the demo's published password, a guessable secret key, and keys of
the encrypted personal data kept beside it (``core/crypto.py``); and mail that would stay in
one machine's outbox while the installation runs on several."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

from samizdat.core.keys import HOW_TO_MAKE_ONE, secret_key_problem


@register(Tags.security, deploy=True)
def demo_passwords(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Every active account is tried with the demo password (one password hash each)."""
    from samizdat.core.management.commands.demo import DEMO_PASSWORD

    User = get_user_model()
    try:
        accounts = list(User._default_manager.filter(is_active=True).order_by("pk"))
    except DatabaseError:  # not migrated yet: no accounts at all
        return []
    # The module function, not user.check_password(): that would also rewrite the hash.
    found = [
        user.get_username() for user in accounts if check_password(DEMO_PASSWORD, user.password)
    ]
    if not found:
        return []
    return [
        Error(
            f"These accounts still have the demo password, which is published: "
            f"{', '.join(found)}. Anyone can sign in as them.",
            hint="Start production from a fresh data folder and database rather than the "
            "demo's; otherwise give each a new password (samizdat changepassword NAME) or "
            "deactivate it.",
            id="samizdat.core.E001",
        )
    ]


@register(Tags.security, deploy=True)
def secret_key(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    problem = secret_key_problem(settings.SECRET_KEY)
    if problem is None:
        return []
    return [
        Error(
            f"SAMIZDAT_SECRET_KEY {problem}: whoever guesses it can forge sessions and links.",
            hint=f"Make one with: {HOW_TO_MAKE_ONE}",
            id="samizdat.core.E002",
        )
    ]


@register(Tags.security, deploy=True)
def demo_data(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    from samizdat.core.management.commands.demo import demo_marker

    if not demo_marker().exists():
        return []
    return [
        Error(
            f"{settings.DATA_DIR} was made by `samizdat demo`, whose accounts have a published "
            "password: with debug off, the site and the worker refuse to run on it.",
            hint="Point SAMIZDAT_DATA_DIR at an empty folder (and SAMIZDAT_DATABASE_URL at a "
            "new database), then run `samizdat migrate` and `samizdat createsuperuser`.",
            id="samizdat.core.E003",
        )
    ]


@register(Tags.security, deploy=True)
def data_keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if getattr(settings, "DATA_KEYS_GENERATED", False):
        return [
            Error(
                "Readers' and donors' data is encrypted with keys generated into the data "
                f"directory ({settings.DATA_DIR}): a backup of that directory carries the key "
                "with the data.",
                hint="Set SAMIZDAT_DATA_KEY and SAMIZDAT_LOOKUP_KEY (`samizdat keys generate`) "
                "in the server's environment and keep them out of every backup.",
                id="samizdat.core.E004",
            )
        ]
    if settings.DATA_KEY.strip() == settings.LOOKUP_KEY.strip():
        return [
            Error(
                "SAMIZDAT_DATA_KEY and SAMIZDAT_LOOKUP_KEY are the same key.",
                hint="Generate a key for each (`samizdat keys generate`).",
                id="samizdat.core.E005",
            )
        ]
    return []


# Settings that mean the installation runs on several machines (a shared cache, a shared store).
SEVERAL_MACHINES = ("REDIS_URL", "MEDIA_BUCKET", "BUNDLE_BUCKET")


@register(Tags.security, deploy=True)
def outbox_on_several_machines(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Without SAMIZDAT_EMAIL_URL letters go to the local outbox, which is per machine: on
    several, a confirmation lands on whichever node sent it, where nobody looks."""
    shared = [name for name in SEVERAL_MACHINES if getattr(settings, name, "")]
    if getattr(settings, "EMAIL_URL", "") or not shared:
        return []
    return [
        Warning(
            f"SAMIZDAT_{shared[0]} is set, so this installation may run on several machines, "
            "but SAMIZDAT_EMAIL_URL is not: letters go to the outbox of whichever machine "
            "sent them and never reach readers.",
            hint="Set SAMIZDAT_EMAIL_URL to a mail server or service (docs/DEPLOY.md, Mail).",
            id="samizdat.core.W001",
        )
    ]
