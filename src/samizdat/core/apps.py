from __future__ import annotations

from django.apps import AppConfig
from django.core.signals import setting_changed


class CoreConfig(AppConfig):
    name = "samizdat.core"
    label = "samizdat_core"
    verbose_name = "samizdat core"

    def ready(self) -> None:
        from samizdat.core import checks, signals  # noqa: F401
        from samizdat.core.mail import use_site_domain

        use_site_domain()
        setting_changed.connect(use_site_domain, dispatch_uid="samizdat-core-mail-domain")
