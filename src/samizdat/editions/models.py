"""The weeks that have an edition as files, beyond the weeks of sent newsletters."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samizdat.publishing.blocks import language_choices


class WeeklyEdition(models.Model):
    """A week whose stories are offered as files (``samizdat edition build``). A week with a
    sent newsletter needs no row: the newsletter's edition is the week's."""

    language = models.CharField(_("language"), max_length=8, choices=language_choices)
    year = models.PositiveSmallIntegerField(_("ISO year"))
    week = models.PositiveSmallIntegerField(_("ISO week"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("weekly edition")
        constraints = [
            models.UniqueConstraint(fields=["language", "year", "week"], name="one_edition_a_week")
        ]

    def __str__(self) -> str:
        return f"{self.language} {self.year}-W{self.week:02d}"
