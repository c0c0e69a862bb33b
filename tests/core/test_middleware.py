from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from wagtail.models import Site

pytestmark = pytest.mark.django_db


def test_reader_pages_forbid_other_origins(client: Client, site_tree: Any) -> None:
    response = client.get("/en/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "strict-origin"


def test_the_admin_has_its_own_policy_and_its_sign_in_screen_no_inline_script(
    client: Client, site_tree: Any
) -> None:
    sign_in = client.get("/admin/login/").headers["Content-Security-Policy"]
    for directive in ("script-src 'self';", "style-src 'self';", "frame-ancestors 'self'",
                      "form-action 'self'", "object-src 'none'", "base-uri 'self'"):  # fmt: skip
        assert directive in sign_in
    assert "unsafe" not in sign_in
    client.force_login(User.objects.create_superuser("chief", "chief@example.org", "pw"))
    staff = client.get("/admin/").headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline';" in staff and "unsafe-eval" not in staff
    assert "connect-src 'self';" in staff and "frame-ancestors 'self'" in staff


def test_changing_the_site_is_seen_at_once_despite_the_cache(
    client: Client, site_tree: Any
) -> None:
    assert client.get("/en/").status_code == 200  # caches the Site for this host
    site = Site.objects.get(is_default_site=True)
    site.is_default_site = False
    site.hostname = "elsewhere.example.org"
    site.save()
    assert client.get("/en/").status_code == 404
