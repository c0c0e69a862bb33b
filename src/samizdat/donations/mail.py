"""Mail to donors: receipts and "manage my donation" links, in the donor's language."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from samizdat.core.paths import absolute
from samizdat.donations import money
from samizdat.donations.models import Donation

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


def read_manage_token(token: str) -> str | None:
    """The address of a link of the old form (``/donate/manage/<signed address>/``), mailed
    before links carried random tokens; such links expire ``DONATIONS_MANAGE_LINK_HOURS``
    after they were sent."""
    try:
        return str(
            signing.loads(
                token, salt=MANAGE_SALT, max_age=settings.DONATIONS_MANAGE_LINK_HOURS * 3600
            )
        )
    except signing.BadSignature:
        return None


def manage_link_url(token: str) -> str:
    return absolute(reverse("donations:manage_gifts")) + "?" + urlencode({"token": token})


def send_manage_link_mail(*, link_id: int | None) -> int:
    """Mail the link of a ``ManageLink`` row with a fresh token; 0 when there is none (the
    address had no recurring gifts) or it was used or has expired."""
    from samizdat.donations import actions
    from samizdat.donations.models import ManageLink

    if link_id is None:
        return 0
    token = actions.issue_manage_token(link_id=link_id)
    link = ManageLink.objects.filter(pk=link_id).first()
    if token is None or link is None or not link.email:
        return 0
    with translation.override(link.language):
        context = {
            "url": manage_link_url(token),
            "hours": settings.DONATIONS_MANAGE_LINK_HOURS,
            "site_name": settings.SITE_NAME,
        }
        body = render_to_string("donations/manage_mail.txt", context)
        subject = _("Manage your gift to %(site)s") % {"site": settings.SITE_NAME}
    EmailMessage(subject=subject, body=body, to=[link.email]).send()
    return 1
