"""The demo newsroom's look: a newcomer sees The Lantern's logo, accent and fonts at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from samizdat.core.appearance import validate_accent
from samizdat.core.models import Appearance
from samizdat.publishing.demo.appearance import seed_appearance

pytestmark = pytest.mark.django_db


def test_the_demo_shows_its_logo_accent_and_fonts_and_seeds_them_once(
    client: Client, newsroom: dict[str, Any]
) -> None:
    assert seed_appearance() == 1
    look = Appearance.objects.get()
    validate_accent(look.accent)  # legible: raises if not
    page = client.get("/en/").content.decode()
    masthead = page.split("</header>", 1)[0]
    assert '<svg class="brand-logo"' in masthead and "<path" in masthead
    assert 'rel="preload"' in page and "literata-400.woff2" in page
    css = client.get("/appearance.css").content.decode()
    assert f"--accent:{look.accent}" in css and '"Literata"' in css and '"Inter"' in css

    look.accent = "#202020"
    look.save()
    assert seed_appearance() == 0
    assert Appearance.objects.get().accent == "#202020"  # the newsroom's own choice stays
