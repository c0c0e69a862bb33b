from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_site_tree(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from samizdat.publishing.actions import ensure_site_tree

    if using == "default":
        ensure_site_tree()


class PublishingConfig(AppConfig):
    name = "samizdat.publishing"
    label = "publishing"
    verbose_name = "Publishing"

    def ready(self) -> None:
        from samizdat.publishing import signals

        signals.connect()
        post_migrate.connect(_ensure_site_tree, sender=self, dispatch_uid="samizdat-site-tree")
