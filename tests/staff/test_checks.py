"""`samizdat check --deploy` refuses an admin that a password alone opens."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks

# The deploy checks include one that looks for the demo's password among the accounts.
pytestmark = pytest.mark.django_db


def deploy_check_ids() -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=True) if message.id}


def test_deploy_check_reports_two_factor_switched_off(settings: Any) -> None:
    settings.SITE_URL = "https://news.example.org"
    assert not {"samizdat.staff.E001", "samizdat.staff.W001"} & deploy_check_ids()

    settings.MIDDLEWARE = [
        name
        for name in settings.MIDDLEWARE
        if name != "samizdat.staff.middleware.require_second_factor"
    ]
    assert "samizdat.staff.E001" in deploy_check_ids()


def test_deploy_check_reports_middleware_in_the_wrong_order(settings: Any) -> None:
    otp = "django_otp.middleware.OTPMiddleware"
    settings.MIDDLEWARE = [otp, *(name for name in settings.MIDDLEWARE if name != otp)]
    assert "samizdat.staff.E001" in deploy_check_ids()


def test_deploy_check_warns_that_plain_http_allows_no_passkeys(settings: Any) -> None:
    settings.SITE_URL = "http://news.example.org"
    assert "samizdat.staff.W001" in deploy_check_ids()
