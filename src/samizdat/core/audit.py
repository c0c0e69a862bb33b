"""Entries in Wagtail's audit log (Reports → Site history) that say what happened to
personal data or money, and who did it, but never whom it concerned."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Model
from wagtail.log_actions import log

# The entry points at no row: an erased person's row id would still lead to them in a backup.
NO_ROW = 0


def log_without_whom(
    model: type[Model], action: str, *, user: Any, data: Mapping[str, Any], title: str
) -> None:
    """Record ``action`` on records of ``model`` with who did it and ``data`` (counts, never
    an address, a name or a digest of either), attached to no particular row.

    The entry shows in Reports → Site history to staff with a permission on ``model`` (all
    of it to administrators), and under the action's label registered with
    ``register_log_actions``."""
    log(model(pk=NO_ROW), action, user=user, data=dict(data), title=title)
