"""Mail to donors: receipts and "manage my donation" links, in the donor's language."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from samizdat.core.paths import absolute
from samizdat.donations import money
from samizdat.donations.models import Donation, RecurringGift

MANAGE_SALT = "samizdat.donations.manage"


def send_receipt_mail(donation: Donation) -> None:
    with translation.override(donation.language):
        context = {
            "donation": donation,
            "amount": money.format(donation.amount, donation.currency, donation.language),
            "site_name": settings.SITE_NAME,
            "manage_url": absolute(reverse("donations:manage")) if donation.gift_id else "",
        }
        body = render_to_string("donations/receipt_mail.txt", context)
        subject = _("Receipt for your gift to %(site)s") % {"site": settings.SITE_NAME}
    EmailMessage(subject=subject, body=body, to=[donation.email]).send()


def manage_token(email: str) -> str:
    return signing.dumps(email.strip().lower(), salt=MANAGE_SALT)


def read_manage_token(token: str) -> str | None:
    try:
        return str(
            signing.loads(
                token, salt=MANAGE_SALT, max_age=settings.DONATIONS_MANAGE_LINK_HOURS * 3600
            )
        )
    except signing.BadSignature:
        return None


def send_manage_link_mail(*, email: str, language: str) -> int:
    """Mail a signed link to the donor's gifts, only if this address has any: the page that
    asks says the same thing either way, so nobody learns who gives."""
    gifts = RecurringGift.objects.filter(email__iexact=email.strip())
    if not gifts.exists():
        return 0
    with translation.override(language):
        context = {
            "url": absolute(reverse("donations:manage_gifts", args=[manage_token(email)])),
            "hours": settings.DONATIONS_MANAGE_LINK_HOURS,
            "site_name": settings.SITE_NAME,
        }
        body = render_to_string("donations/manage_mail.txt", context)
        subject = _("Manage your gift to %(site)s") % {"site": settings.SITE_NAME}
    EmailMessage(subject=subject, body=body, to=[email.strip()]).send()
    return 1
