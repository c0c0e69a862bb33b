"""The few rows core keeps for the whole installation."""

from __future__ import annotations

from django.db import models


class RateCount(models.Model):
    """Attempts counted for a rate limit when there is no Redis (``public_forms.allow``): one
    row per scope and keyed digest of what is counted (never an address itself), until
    ``expires`` (Unix seconds); rows of windows that are over are removed by a periodic job."""

    slot = models.CharField(max_length=100, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = "rate limit count"

    def __str__(self) -> str:
        return f"{self.slot}: {self.count}"
