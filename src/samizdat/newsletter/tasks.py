"""Background tasks of the newsletter: thin wrappers around actions. They get ids, and what
they raise names no address (it is stored with the task and logged)."""

from __future__ import annotations

from django_tasks import task

from samizdat.core.logs import mail_errors_without_addresses
from samizdat.newsletter import sending


@task(queue_name="mail")
def send_confirmation(subscriber_id: int) -> bool:
    from samizdat.newsletter.mail import send_confirmation_mail

    with mail_errors_without_addresses():
        return send_confirmation_mail(subscriber_id)


@task(queue_name="newsletter")  # an edition takes minutes: never ahead of a confirmation
def send_deliveries(edition_id: int) -> dict[str, int]:
    return sending.send_pending(edition_id=edition_id)
