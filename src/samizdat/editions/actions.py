"""Making a week's edition."""

from __future__ import annotations

from django.db import transaction

from samizdat.core.signals import announce_change
from samizdat.editions import build
from samizdat.editions.models import WeeklyEdition
from samizdat.editions.signals import week_change_paths


def build_week(*, language: str, year: int, week: int) -> build.Week:
    """Offer the week's stories in ``language`` as files: the week joins the archive and its
    files are announced, so the bundle renders them (under ``<language>/editions/``)."""
    found = build.Week(year, week, language)
    with transaction.atomic():
        WeeklyEdition.objects.get_or_create(language=language, year=year, week=week)
        announce_change(WeeklyEdition, week_change_paths({found}))
    return found
