from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _links_changed(**kwargs: Any) -> None:
    from samizdat.donations.payment_links import forget

    forget()


class DonationsConfig(AppConfig):
    name = "samizdat.donations"
    label = "donations"
    verbose_name = _("Donations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from samizdat.donations import appeal, checks  # noqa: F401
        from samizdat.donations.models import AppealCurrency, DonationSettings

        for model in (DonationSettings, AppealCurrency):
            for signal in (post_save, post_delete):
                signal.connect(
                    appeal.forget_on_change,
                    sender=model,
                    dispatch_uid=f"appeal-{model.__name__}-{id(signal)}",
                )

        from samizdat.donations.models import PaymentLink

        for signal in (post_save, post_delete):
            signal.connect(_links_changed, sender=PaymentLink, dispatch_uid=f"links-{id(signal)}")
