from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "samizdat.donations"
    label = "donations"
    verbose_name = _("Donations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from samizdat.donations import checks, signals  # noqa: F401
