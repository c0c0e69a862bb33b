from __future__ import annotations

from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "samizdat.staff"
    label = "staff"
    verbose_name = "staff accounts"

    def ready(self) -> None:
        from samizdat.staff import signals  # noqa: F401
