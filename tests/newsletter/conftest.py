"""Fixtures for sending tests: a real SMTP server, editions with stories, subscribers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from samizdat.newsletter.actions import ensure_newsletter_pages
from samizdat.newsletter.models import Edition, EditionItem, Subscriber, email_hash
from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.newsletter.smtp import SmtpServer

RETRY_DELAYS = [0.01, 0.01, 0.01]

STORY_TITLES = {
    "en": ["Court opens trial of reporter", "Water prices rise again", "A library in exile"],
    "ru": ["Суд начал процесс над журналистом", "Вода снова дорожает", "Библиотека в изгнании"],
}


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on a free port, with Django's SMTP backend pointed at it."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.NEWSLETTER_RETRY_DELAYS = RETRY_DELAYS
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def newsletter_site(site_tree: Any) -> Any:
    """The site skeleton plus the newsletter pages (archive links point at them)."""
    ensure_newsletter_pages()
    return site_tree


@pytest.fixture
def live_db(transactional_db: Any, django_db_serialized_rollback: Any) -> None:
    """Committed data, for tests where sending threads use their own connections."""


def make_stories(language: str = "en", count: int = 3) -> list[ArticlePage]:
    home = factories.home(language)
    section = factories.SectionPageFactory(parent=home)
    titles = STORY_TITLES[language]
    return [
        factories.ArticlePageFactory(parent=section, title=titles[n % len(titles)])
        for n in range(count)
    ]


def make_edition(
    *,
    language: str = "en",
    stories: int = 3,
    subject: str = "The Lantern weekly",
    intro: str = "This week in brief.",
) -> Edition:
    """A draft edition with ``stories`` published articles in it."""
    edition = Edition.objects.create(language=language, subject=subject, intro=intro)
    for order, article in enumerate(make_stories(language, stories)):
        EditionItem.objects.create(edition=edition, article=article, sort_order=order)
    return edition


def make_subscribers(
    count: int,
    *,
    language: str = "en",
    status: str = Subscriber.Status.ACTIVE,
    prefix: str = "reader",
) -> list[Subscriber]:
    """``count`` subscribers ``{prefix}{n}@example.net`` in that language and status."""
    now = timezone.now()
    rows = []
    for number in range(count):
        email = f"{prefix}{number}@example.net"
        rows.append(
            Subscriber(
                email=email,
                email_hash=email_hash(email),
                language=language,
                status=status,
                source="test",
                confirmed_at=now if status == Subscriber.Status.ACTIVE else None,
            )
        )
    Subscriber.objects.bulk_create(rows)
    return list(Subscriber.objects.filter(email__in=[row.email for row in rows]).order_by("pk"))
