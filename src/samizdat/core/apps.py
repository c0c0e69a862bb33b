from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "samizdat.core"
    label = "samizdat_core"
    verbose_name = "samizdat core"

    def ready(self) -> None:
        from samizdat.core import checks, signals  # noqa: F401
