"""Links to other sites on public pages keep the reader's page to themselves."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from wagtail.rich_text import RichText

from samizdat.core.links import add_noreferrer
from tests import factories
from tests.publishing.helpers import parse_html

OWN = {"https://lantern.example", "https://mirror.example"}


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (b'<a href="https://court.example/x">', b'<a href="https://court.example/x" rel="noreferrer">'),
        (b'<a href="//court.example/x">', b'<a href="//court.example/x" rel="noreferrer">'),
        (b'<a class="c" href="http://court.example/?a=1&amp;b=2" rel="nofollow">',
         b'<a class="c" href="http://court.example/?a=1&amp;b=2" rel="nofollow noreferrer">'),
        (b'<a href="https://court.example/" rel="noopener noreferrer">',
         b'<a href="https://court.example/" rel="noopener noreferrer">'),
        # Our own addresses and mirrors, and relative links, keep their referrer.
        (b'<a href="https://lantern.example/en/">', b'<a href="https://lantern.example/en/">'),
        (b'<a href="https://mirror.example/en/news/">', b'<a href="https://mirror.example/en/news/">'),
        (b'<a href="../../en/news/">', b'<a href="../../en/news/">'),
        (b'<link rel="alternate" href="https://court.example/">',
         b'<link rel="alternate" href="https://court.example/">'),
    ],
)  # fmt: skip
def test_links_to_other_sites_get_noreferrer(html: bytes, expected: bytes) -> None:
    assert add_noreferrer(html, OWN) == expected


@pytest.mark.django_db
def test_an_external_link_in_an_article_body_has_noreferrer(
    client: Client, site_tree: Any, settings: Any
) -> None:
    section = factories.SectionPageFactory(parent=factories.home("en"))
    body = (
        '<p>The <a href="https://court.example/ruling">ruling</a> and '
        '<a href="http://testserver/en/">our front page</a>.</p>'
    )
    article = factories.ArticlePageFactory(
        parent=section, slug="ruling", body=[("paragraph", RichText(body))]
    )
    response = client.get(article.url)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "strict-origin"
    links = {a.get("href"): a.get("rel") for a in parse_html(response.content.decode()).iter("a")}
    assert links["https://court.example/ruling"] == "noreferrer"
    assert "noreferrer" not in (links.get("http://testserver/en/") or "")
