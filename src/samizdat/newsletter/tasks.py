"""Background tasks of the newsletter: thin wrappers around actions."""

from __future__ import annotations

from django_tasks import task

from samizdat.newsletter import sending


@task()
def send_confirmation(subscriber_id: int) -> bool:
    from samizdat.newsletter.mail import send_confirmation_mail

    return send_confirmation_mail(subscriber_id)


@task()
def send_deliveries(edition_id: int) -> dict[str, int]:
    return sending.send_pending(edition_id=edition_id)
