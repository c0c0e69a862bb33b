"""React to staff's changes: cached appeal settings and payment links, and the public pages
that show them."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from samizdat.core.signals import announce_change
from samizdat.donations import appeal, payment_links
from samizdat.donations.models import AppealCurrency, AppealText, DonationSettings, PaymentLink


@receiver(post_save, sender=DonationSettings, dispatch_uid="samizdat-appeal-saved")
@receiver(post_delete, sender=DonationSettings, dispatch_uid="samizdat-appeal-deleted")
@receiver(post_save, sender=AppealCurrency, dispatch_uid="samizdat-currency-saved")
@receiver(post_delete, sender=AppealCurrency, dispatch_uid="samizdat-currency-deleted")
@receiver(post_save, sender=AppealText, dispatch_uid="samizdat-appeal-text-saved")
@receiver(post_delete, sender=AppealText, dispatch_uid="samizdat-appeal-text-deleted")
def _appeal_changed(sender: Any, **kwargs: Any) -> None:
    appeal.forget()
    announce_change(sender)  # every page shows the appeal


@receiver(post_save, sender=PaymentLink, dispatch_uid="samizdat-links-saved")
@receiver(post_delete, sender=PaymentLink, dispatch_uid="samizdat-links-deleted")
def _links_changed(sender: Any, **kwargs: Any) -> None:
    payment_links.forget()
    announce_change(sender)  # every appeal offers them when the app is out of reach
