"""Background tasks: thin wrappers around actions. They get ids, never addresses or tokens,
and what they raise names no address (it is stored with the task and logged)."""

from __future__ import annotations

from django_tasks import task

from samizdat.core.logs import mail_errors_without_addresses
from samizdat.donations import actions


@task(queue_name="mail")
def send_receipt(*, donation_id: int) -> bool:
    with mail_errors_without_addresses():
        return actions.send_receipt(donation_id=donation_id)


@task(queue_name="mail")
def send_manage_link(*, link_id: int | None) -> int:
    from samizdat.donations.mail import send_manage_link_mail

    with mail_errors_without_addresses():
        return send_manage_link_mail(link_id=link_id)
