"""The privacy policy a new installation starts with says, in each language, what is kept
and for how long, with the periods the installation is configured with."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from samizdat.publishing.actions import default_policy, ensure_site_tree
from samizdat.publishing.models import PrivacyPolicyPage

pytestmark = pytest.mark.django_db


def test_the_first_policy_names_what_is_kept_and_the_configured_periods(
    settings: Any, client: Client
) -> None:
    settings.NEWSLETTER_CONFIRM_DAYS = 5
    settings.DONATIONS_PLEDGE_DAYS = 45
    settings.DONATIONS_EVENT_PAYLOAD_DAYS = 21
    PrivacyPolicyPage.objects.all().delete()
    ensure_site_tree()

    english = PrivacyPolicyPage.objects.get(locale__language_code="en")
    body = str(english.body)
    for words in (
        "no record of your IP address",
        "deleted after 5 days",
        "does not arrive within 45 days, we delete it",
        "kept for 21 days",
        "one-way digest of your address",
        "remove your name and address from your gifts",
        "Backups made before the erasure",
    ):
        assert words in body, words
    page = client.get("/en/privacy/").content.decode()
    assert "deleted after 5 days" in page

    russian = str(PrivacyPolicyPage.objects.get(locale__language_code="ru").body)
    assert "45 дней" in russian and "21 день" in russian and "5 дней" in russian
    assert "IP" in russian and "deleted" not in russian


def test_one_day_reads_as_one_day(settings: Any) -> None:
    settings.NEWSLETTER_CONFIRM_DAYS = 1
    assert "deleted after 1 day.</p>" in default_policy("en")
    assert "1 день" in default_policy("ru") and "1 день" in default_policy("uk")
