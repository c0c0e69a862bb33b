"""Counts, and only counts: page reads per day, path and channel, failovers per day and
mirror, and how far each access log has been read. No row is about a reader: no address,
user agent, cookie, referrer, time of day or identifier of any kind."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The channels a read came through; a mirror's is "mirror:" and the host it was read at.
ORIGIN = "origin"
ONION = "onion"
FEED = "feed"
NEWSLETTER = "newsletter"
MIRROR = "mirror:"
OTHER = "other"  # a host (or a failover's mirror) that is none of the newsroom's


class ReadCount(models.Model):
    """How many times a public page (or a feed) was read on a day through a channel."""

    day = models.DateField(_("day"))
    path = models.CharField(_("path"), max_length=500)
    channel = models.CharField(_("channel"), max_length=300)
    count = models.PositiveBigIntegerField(_("reads"), default=0)

    class Meta:
        verbose_name = _("read count")
        verbose_name_plural = _("read counts")
        constraints = [
            models.UniqueConstraint(fields=["day", "path", "channel"], name="reach_read_once")
        ]
        indexes = [models.Index(fields=["day"], name="reach_read_day")]
        permissions = [("view_reach", "Can see where readers come from")]

    def __str__(self) -> str:
        return f"{self.day} {self.path} {self.channel}: {self.count}"


class FailoverCount(models.Model):
    """How many times readers' service workers turned to a mirror on a day, as they report
    it: ``mirror`` is the mirror's origin, or "other" for an address not on the list."""

    day = models.DateField(_("day"))
    mirror = models.CharField(_("mirror"), max_length=300)
    count = models.PositiveBigIntegerField(_("failovers"), default=0)

    class Meta:
        verbose_name = _("failover count")
        verbose_name_plural = _("failover counts")
        constraints = [
            models.UniqueConstraint(fields=["day", "mirror"], name="reach_failover_once")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.mirror}: {self.count}"


class LogCursor(models.Model):
    """How far an access log has been folded into counts: ``key`` is the node's name and the
    file's path, ``head`` a digest of its first line (another first line: the file was
    rotated, and is read from its start), ``offset`` the bytes read."""

    key = models.CharField(max_length=600, primary_key=True)
    head = models.CharField(max_length=64)
    offset = models.BigIntegerField(default=0)
    lines = models.BigIntegerField(default=0)
    skipped = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "access log read so far"

    def __str__(self) -> str:
        return f"{self.key}: {self.offset}"
