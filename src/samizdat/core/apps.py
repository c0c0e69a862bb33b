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

        from samizdat.core.public_forms import forget_mirror_origins
        from samizdat.mirrors.models import Mirror

        # Reader forms accept posts from the public mirrors' origins, cached briefly.
        post_save.connect(
            forget_mirror_origins, sender=Mirror, dispatch_uid="samizdat-mirror-saved"
        )
        post_delete.connect(
            forget_mirror_origins, sender=Mirror, dispatch_uid="samizdat-mirror-deleted"
        )
