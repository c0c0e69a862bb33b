from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MirrorsConfig(AppConfig):
    name = "samizdat.mirrors"
    label = "mirrors"
    verbose_name = _("Mirrors")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from samizdat.mirrors import signals  # noqa: F401
