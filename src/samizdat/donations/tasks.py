"""Background tasks: thin wrappers around actions."""

from __future__ import annotations

from django_tasks import task

from samizdat.donations import actions


@task()
def send_receipt(*, donation_id: int) -> bool:
    return actions.send_receipt(donation_id=donation_id)


@task()
def send_manage_link(*, email: str, language: str) -> int:
    from samizdat.donations.mail import send_manage_link_mail

    return send_manage_link_mail(email=email, language=language)
