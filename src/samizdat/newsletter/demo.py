"""The demo newsroom's newsletter: a ready draft edition in each language."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from samizdat.core.languages import codes
from samizdat.newsletter.actions import (
    ensure_newsletter_pages,
    fill_with_recent_articles,
    week_slot,
)
from samizdat.newsletter.models import Edition

DEMO_EDITIONS = {
    "en": {
        "subject": "The Lantern weekly: courts, rivers and a theatre that would not close",
        "intro": (
            "Good morning. This week our reporters sat through three days of hearings, walked "
            "the river the factory says is clean, and spent an evening with a theatre company "
            "that kept playing after its licence was pulled.\n\nHere is what we published."
        ),
        "closing": (
            "If a friend forwarded you this letter, you can sign up on our site; it takes one "
            "address and one click in the confirmation mail."
        ),
    },
    "ru": {
        "subject": "«Фонарь», неделя: суды, реки и театр, который не закрылся",
        "intro": (
            "Доброе утро. На этой неделе наши корреспонденты три дня провели на заседаниях, "
            "прошли вдоль реки, которую завод называет чистой, и побывали на спектакле "
            "труппы, которая продолжает играть без лицензии.\n\nВот что мы опубликовали."
        ),
        "closing": (
            "Если это письмо вам переслали друзья, подпишитесь на сайте: нужен только адрес "
            "и одно нажатие в письме с подтверждением."
        ),
    },
}


@transaction.atomic
def seed_demo_editions() -> int:
    """Create a draft edition per language with the latest stories, unless one exists."""
    ensure_newsletter_pages()
    now = timezone.now()
    created = 0
    for language, texts in DEMO_EDITIONS.items():
        if language not in codes() or Edition.objects.filter(language=language).exists():
            continue
        edition = Edition.objects.create(language=language, send_at=week_slot(now), **texts)
        fill_with_recent_articles(edition_id=edition.pk, since=now - timedelta(days=3650), limit=5)
        created += 1
    return created
