"""The few rows core keeps for the whole installation, and the site's appearance."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from samizdat.core.appearance import (
    SYSTEM_FONTS,
    AppearanceForm,
    font_choices,
    validate_accent,
)


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


@register_setting(icon="image")
class Appearance(BaseGenericSetting):
    """Settings → Appearance: the newsroom's name and logo in the masthead, its accent colour
    and fonts (``core/appearance.py`` turns them into what the pages use)."""

    site_name = models.CharField(
        _("newsroom name"),
        max_length=100,
        blank=True,
        help_text=_(
            "Shown in the masthead and page titles. Empty: the name the site was set up with."
        ),
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A PNG, WebP or JPEG logo, shown 48 pixels high. Or upload an SVG logo below."),
    )
    # The cleaned copy of an uploaded SVG logo (``appearance.clean_svg``), put into every page.
    logo_svg = models.TextField(blank=True, editable=False)
    accent = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[validate_accent],
        help_text=_(
            "Labels, buttons and highlights, as #rrggbb. It must be dark enough for white text "
            "on it (contrast at least 4.5:1). Empty: the default dark red."
        ),
    )
    fonts = models.CharField(
        _("fonts"),
        max_length=20,
        default=SYSTEM_FONTS,
        choices=font_choices(),
        help_text=_(
            "Fonts other than the system's are served from this site (about 25 KB per weight)."
        ),
    )

    base_form_class = AppearanceForm
    panels = [
        FieldPanel("site_name"),
        MultiFieldPanel(
            [FieldPanel("logo"), FieldPanel("svg_logo_file"), FieldPanel("remove_svg_logo")],
            heading=_("Logo"),
        ),
        FieldPanel("accent"),
        FieldPanel("fonts"),
    ]

    class Meta:
        verbose_name = _("Appearance")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class WorkerLease(models.Model):
    """A worker thread that is alive (``core/leases.py``): it renews ``heartbeat`` (the
    database's clock) every few seconds and names the task it runs. A task RUNNING under a
    worker whose heartbeat is older than ``TASK_LEASE`` is taken back and run again."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    queue_name = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    heartbeat = models.DateTimeField(db_index=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "worker lease"

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.queue_name})"


class PeriodicRun(models.Model):
    """When a periodic job last started anywhere (``core/periodic.py``): the one process that
    moves ``last_run`` forward (by the database's clock) runs the job for that period."""

    name = models.CharField(max_length=100, primary_key=True)
    last_run = models.DateTimeField()

    class Meta:
        verbose_name = "periodic run"

    def __str__(self) -> str:
        return f"{self.name}: {self.last_run:%Y-%m-%d %H:%M:%S}"
