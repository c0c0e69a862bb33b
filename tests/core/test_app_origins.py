"""Reader forms keep working from copies of the site: they post to the app (its main address
or another one), which takes posts from its own origins and from the public mirrors'."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from samizdat.mirrors.models import Mirror
from samizdat.newsletter.actions import ensure_newsletter_pages
from samizdat.newsletter.models import Subscriber
from tests.core.test_settings import production_env, settings_value

ARTICLE = "/en/news/court-opens-trial/"
ALT = "https://lantern-news.example.net"
ONION = "http://lanternxyzabcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop.onion"


def test_app_origins_are_the_site_then_the_other_addresses_then_the_onion(
    tmp_path: Path,
) -> None:
    env = {
        **production_env(),
        "SAMIZDAT_SITE_URL": "https://news.example.org/",
        "SAMIZDAT_APP_ORIGINS": f"{ALT}/some/path, HTTPS://News.Example.org ,,not a url",
        "SAMIZDAT_ONION_URL": ONION + "/",
    }
    value = settings_value("' '.join(s.APP_ORIGINS)", env, tmp_path)
    assert value.split() == ["https://news.example.org", ALT, ONION]
    assert settings_value("s.FORM_ORIGINS", env, tmp_path) == "['https://news.example.org']"


@pytest.fixture
def pages(newsroom: dict[str, Any], settings: Any) -> dict[str, Any]:
    settings.APP_ORIGINS = ["http://testserver", ALT, ONION]
    ensure_newsletter_pages()
    return newsroom


def attributes(html: str, selector: str) -> dict[str, str]:
    """The attributes of the first start tag that begins with ``selector``."""
    start = html.index(selector)
    tag = html[start : html.index(">", start)]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def test_forms_on_reader_pages_post_to_the_app_wherever_the_page_is_read(
    client: Client, pages: dict[str, Any]
) -> None:
    response = client.get(ARTICLE)
    html = response.content.decode()
    assert f'<meta name="samizdat-apps" content="http://testserver {ALT} {ONION}">' in html

    signup = attributes(html, '<form class="signup"')
    assert signup["action"] == "http://testserver/newsletter/subscribe/"
    assert signup["data-app-path"] == "/newsletter/subscribe/"
    assert signup["data-pow"] == "http://testserver/newsletter/challenge/"
    search = attributes(html, '<form class="search"')
    assert (search["action"], search["data-app-path"]) == (
        "http://testserver/en/search/",
        "/en/search/",
    )
    donate = attributes(html, '<form class="donate-form"')
    assert (donate["method"], donate["action"], donate["data-app-path"]) == (
        "get",
        "http://testserver/donate/",
        "/donate/",
    )
    later = attributes(html, '<form class="appeal-later"')
    assert (later["action"], later["data-app-path"]) == (
        "http://testserver/donate/later/",
        "/donate/later/",
    )
    # The donate page exists only on the app: the banner's and the footer's links lead there.
    support = re.findall(r'<a [^>]*href="([^"]*)"[^>]*>Support us</a>', html)
    assert support == ["http://testserver/donate/?language=en"] * 2
    assert html.count('data-app-path="/donate/?language=en"') == 2
    # Canonical and alternate links stay as they were: absolute on the canonical site.
    assert '<link rel="canonical" href="http://testserver/en/news/court-opens-trial/">' in html

    ru = client.get("/ru/search/?q=x").content.decode()
    big = attributes(ru, '<form class="search-large"')
    assert (big["action"], big["data-app-path"]) == ("http://testserver/ru/search/", "/ru/search/")

    # The browser lets the forms, and the script that asks which address answers, reach
    # every address of the app; still nothing else but the payment pages.
    policy = response.headers["Content-Security-Policy"]
    assert f"connect-src 'self' http://testserver {ALT} {ONION};" in policy
    assert f"form-action 'self' http://testserver {ALT} {ONION};" in policy
    assert "default-src 'self';" in policy


def test_the_donate_page_itself_posts_where_it_was_opened(
    client: Client, pages: dict[str, Any]
) -> None:
    html = client.get("/donate/?language=en&frequency=monthly&amount=5&currency=USD").content
    form = attributes(html.decode(), '<form class="donate-form"')
    assert (form["method"], form["action"]) == ("post", "../donate/")
    assert "data-app-path" not in form


def test_the_newsletter_fallback_names_the_onion_and_the_mirrors_page(
    client: Client, pages: dict[str, Any], settings: Any
) -> None:
    html = client.get(ARTICLE).content.decode()
    fallback = html[html.index('<div class="apps-fallback"') :]
    fallback = fallback[: fallback.index("</div>")]
    assert "Sign-up can't reach our server from here." in fallback
    assert '<a href="../../../en/mirrors/">Mirrors</a>' in fallback
    assert ".onion" not in fallback
    settings.ONION_URL = ONION
    html = client.get(ARTICLE).content.decode()
    assert f'<a href="{ONION}/en/">{ONION}</a>' in html


SIGNUP = {"email": "", "language": "en", "consent": "yes", "form": "article", "website": ""}


def sign_up(origin: str | None, email: str) -> int:
    reader = Client(enforce_csrf_checks=True)  # no cookies, as on a copy of the page
    headers = {"Origin": origin} if origin else {}
    response = reader.post("/newsletter/subscribe/", {**SIGNUP, "email": email}, headers=headers)
    return int(response.status_code)


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://testserver", 200),
        (ALT, 200),
        (ONION, 200),
        ("https://copy.example.com", 200),  # a public mirror
        ("https://COPY.example.com", 200),
        ("https://copy.example.com:8443", 403),
        ("https://quiet.example.com", 403),  # a mirror not listed for readers
        ("https://evil.example", 403),
        ("https://lantern-news.example.net.evil.example", 403),
    ],
)
def test_posts_are_taken_from_the_apps_and_the_public_mirrors_origins(
    pages: dict[str, Any], origin: str, status: int
) -> None:
    Mirror.objects.create(url="https://copy.example.com/lantern/")
    Mirror.objects.create(url="https://quiet.example.com/", public=False)
    assert sign_up(origin, "reader@example.org") == status
    assert Subscriber.objects.filter(email="reader@example.org").exists() == (status == 200)


def test_a_new_or_removed_mirror_counts_at_once_despite_the_cache(pages: dict[str, Any]) -> None:
    assert sign_up("https://copy.example.com", "one@example.org") == 403
    mirror = Mirror.objects.create(url="https://copy.example.com/")
    assert sign_up("https://copy.example.com", "two@example.org") == 200
    mirror.public = False
    mirror.save()
    assert sign_up("https://copy.example.com", "three@example.org") == 403
    mirror.public = True
    mirror.save()
    assert sign_up("https://copy.example.com", "four@example.org") == 200
    mirror.delete()
    assert sign_up("https://copy.example.com", "five@example.org") == 403


def test_the_form_origins_setting_still_counts(pages: dict[str, Any], settings: Any) -> None:
    settings.FORM_ORIGINS = ["http://testserver", "https://old-copy.example.org/"]
    assert sign_up("https://old-copy.example.org", "reader@example.org") == 200


def test_any_page_may_ask_whether_the_app_answers_and_fetch_a_puzzle(db: Any) -> None:
    reader = Client()
    ping = reader.get("/newsletter/ping/", headers={"Origin": "null"})
    assert ping.status_code == 204
    assert ping["Access-Control-Allow-Origin"] == "*"
    assert ping["Cache-Control"] == "no-store"
    assert not ping.cookies and not ping.content
    assert reader.post("/newsletter/ping/").status_code == 405

    puzzle = reader.get("/newsletter/challenge/", headers={"Origin": "https://anywhere.example"})
    assert puzzle.status_code == 200
    assert puzzle["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in puzzle
    assert set(puzzle.json()) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
