from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from wagtail.models import Site

pytestmark = pytest.mark.django_db


def test_reader_pages_forbid_other_origins(client: Client, site_tree: Any) -> None:
    response = client.get("/en/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "strict-origin"


def test_changing_the_site_is_seen_at_once_despite_the_cache(
    client: Client, site_tree: Any
) -> None:
    assert client.get("/en/").status_code == 200  # caches the Site for this host
    site = Site.objects.get(is_default_site=True)
    site.is_default_site = False
    site.hostname = "elsewhere.example.org"
    site.save()
    assert client.get("/en/").status_code == 404
