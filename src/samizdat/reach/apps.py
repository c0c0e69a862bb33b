from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReachConfig(AppConfig):
    name = "samizdat.reach"
    label = "reach"
    verbose_name = _("Where readers come from")
    default_auto_field = "django.db.models.BigAutoField"
