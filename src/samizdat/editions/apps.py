from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditionsConfig(AppConfig):
    name = "samizdat.editions"
    label = "editions"
    verbose_name = _("Editions")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from samizdat.editions import signals  # noqa: F401
