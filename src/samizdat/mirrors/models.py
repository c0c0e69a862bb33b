"""Copies of the public site that readers can use when the main address is blocked."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel


class Mirror(models.Model):
    """A copy of the site at another address: a domain on a large cloud, a bucket, an onion.

    Listed to readers (the footer, ``/<lang>/mirrors/``, every newsletter) when public, and
    checked against the bundle's manifest by ``samizdat mirror check``."""

    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("not checked yet")
        OK = "ok", _("up to date")
        STALE = "stale", _("out of date")
        BROKEN = "broken", _("broken")
        UNREACHABLE = "unreachable", _("unreachable")

    url = models.URLField(
        _("address"),
        max_length=500,
        unique=True,
        help_text=_("Where the copy's front page is, e.g. https://lantern.example.net/ or an "
                    ".onion address."),
    )  # fmt: skip
    label = models.CharField(_("label"), max_length=100, blank=True)
    public = models.BooleanField(
        _("list it for readers"),
        default=True,
        help_text=_("Untick for a copy that must stay known only to those you give it to."),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UNCHECKED
    )
    last_report = models.TextField(_("last report"), blank=True)

    panels = [
        FieldPanel("url"),
        FieldPanel("label"),
        FieldPanel("public"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        verbose_name = _("mirror")
        verbose_name_plural = _("mirrors")
        ordering = ["sort_order", "url"]

    def __str__(self) -> str:
        return self.label or self.url

    @property
    def onion(self) -> bool:
        return (urlsplit(self.url).hostname or "").endswith(".onion")

    def clean(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValidationError({"url": _("Enter an http:// or https:// address.")})
        if parts.query or parts.fragment:
            raise ValidationError({"url": _("The address of a copy has no query or fragment.")})
        if not self.url.endswith("/"):
            self.url += "/"
