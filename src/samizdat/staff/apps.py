from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "samizdat.staff"
    label = "staff"
    verbose_name = _("Staff sign-in")

    def ready(self) -> None:
        from samizdat.staff import checks, signals  # noqa: F401 - deploy checks, sign-in log
