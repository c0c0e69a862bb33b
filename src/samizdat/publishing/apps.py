from __future__ import annotations

from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "samizdat.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        from samizdat.publishing import signals  # noqa: F401
