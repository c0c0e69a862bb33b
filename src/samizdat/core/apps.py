from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _site_changed(**kwargs: Any) -> None:
    from samizdat.core.middleware import forget_cached_sites

    forget_cached_sites()


class CoreConfig(AppConfig):
    name = "samizdat.core"
    label = "samizdat_core"
    verbose_name = "samizdat core"

    def ready(self) -> None:
        from wagtail.models import Site

        post_save.connect(_site_changed, sender=Site, dispatch_uid="samizdat-site-saved")
        post_delete.connect(_site_changed, sender=Site, dispatch_uid="samizdat-site-deleted")
