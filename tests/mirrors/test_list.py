"""Where else readers find the site: the mirrors page, the footer link to it, the
``Onion-Location`` header, the addresses in every newsletter, and Settings → Mirrors."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from samizdat.mirrors.models import Mirror
from samizdat.newsletter.actions import ensure_newsletter_pages
from samizdat.newsletter.mail import render
from samizdat.newsletter.models import Edition

ONION = "http://lanternx4kq2mbq7yzkemq3ggqpgdwylxw3qf5xzzbfakbyd3iyhnfqd.onion"
CHECKED = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
def mirrors(site_tree: Any) -> dict[str, Mirror]:
    return {
        "cloud": Mirror.objects.create(
            url="https://lantern-copy.example.net/",
            label="Lantern on a big cloud",
            sort_order=2,
            last_status=Mirror.Status.OK,
            last_checked_at=CHECKED,
            last_report="12 files sampled, all match the manifest",
        ),
        "bucket": Mirror.objects.create(
            url="https://storage.example.org/lantern/",
            sort_order=1,
            last_status=Mirror.Status.STALE,
            last_checked_at=CHECKED,
            last_report="manifest generated 3 days ago",
        ),
        "onion": Mirror.objects.create(
            url="http://copy7yzkemq3ggqpgdwylxw3qf5xzzbfakbyd3iyhnfqdlanternx4kq2mb.onion/",
            label="Lantern over Tor",
            sort_order=3,
        ),
        "secret": Mirror.objects.create(
            url="https://quiet-copy.example.com/", label="For partners only", public=False
        ),
    }


def footer_link(html: str) -> str:
    footer = html.split('<footer class="site-footer">', 1)[1]
    match = re.search(r'<a href="([^"]*)">(Mirrors|Зеркала)</a>', footer)
    assert match, footer
    return match.group(1)


# The page ------------------------------------------------------------------------------


def test_the_page_lists_public_mirrors_in_order_and_never_the_private_one(
    client: Client, mirrors: dict[str, Mirror], settings: Any
) -> None:
    settings.ONION_URL = ONION
    response = client.get("/en/mirrors/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "A mirror is a copy of this site at another address" in html
    hrefs = re.findall(r'<li class="mirror[^"]*">\s*<a href="([^"]+)"', html)
    assert hrefs == [
        "https://storage.example.org/lantern/en/",
        "https://lantern-copy.example.net/en/",
        f"{mirrors['onion'].url}en/",
        f"{ONION}/en/",
    ]
    assert "Lantern on a big cloud" in html and "Lantern over Tor" in html
    assert "quiet-copy.example.com" not in html and "For partners only" not in html
    # Both onion addresses are marked, with a word on how to open them; the others are not.
    onions = re.findall(r'<li class="mirror mirror-onion">(.*?)</li>', html, re.S)
    assert len(onions) == 2
    assert all("Onion address" in item and "Tor Browser" in item for item in onions)
    assert html.count("Onion address") == 2


def test_the_onion_address_of_the_settings_is_listed_once_even_as_a_mirror(
    client: Client, site_tree: Any, settings: Any
) -> None:
    settings.ONION_URL = ONION
    Mirror.objects.create(url=f"{ONION}/", label="Our onion", sort_order=5)

    html = client.get("/en/mirrors/").content.decode()
    letter = render(Edition(language="en", subject="The week"))

    assert html.count(f'href="{ONION}/en/"') == 1 and "Our onion" in html
    assert letter.text.count(f"{ONION}/en/") == 1


def test_the_page_says_what_the_last_check_found_but_not_its_report(
    client: Client, mirrors: dict[str, Mirror]
) -> None:
    html = client.get("/en/mirrors/").content.decode()

    assert "Up to date as of Nov. 28, 2026, 9:30 a.m." in html
    assert "Out of date as of Nov. 28, 2026, 9:30 a.m." in html
    assert "files sampled" not in html and "manifest generated" not in html
    unchecked = re.search(r'<li class="mirror mirror-onion">(.*?)</li>', html, re.S)
    assert unchecked and "as of" not in unchecked.group(1)


def test_the_page_is_the_same_for_every_reader(client: Client, mirrors: dict[str, Mirror]) -> None:
    """No cookie, no banner that depends on one: a cache or a static copy can keep it."""
    plain = client.get("/en/mirrors/")
    client.cookies["samizdat_remind"] = "1"
    snoozed = client.get("/en/mirrors/")

    assert not plain.cookies and "Set-Cookie" not in plain.headers
    assert plain.content == snoozed.content
    assert "<script" not in plain.content.decode().split("</head>", 1)[1]


def test_the_page_in_russian_leads_to_the_russian_copies(
    client: Client, mirrors: dict[str, Mirror]
) -> None:
    response = client.get("/ru/mirrors/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert "<h1>Зеркала</h1>" in html
    assert 'href="https://storage.example.org/lantern/ru/"' in html
    assert 'href="https://lantern-copy.example.net/ru/"' in html
    # The language switcher leads to this page in English.
    english = re.search(r'<a href="([^"]+)" hreflang="en"', html)
    assert english
    assert client.get(urljoin("http://testserver/ru/mirrors/", english.group(1))).status_code == 200
    assert '<link rel="alternate" hreflang="en" href="http://testserver/en/mirrors/">' in html


def test_with_no_mirrors_the_page_says_so_and_points_to_the_newsletter(
    client: Client, site_tree: Any
) -> None:
    ensure_newsletter_pages()
    response = client.get("/en/mirrors/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "There are no mirrors of this site yet." in html
    assert '<ul class="mirror-list">' not in html
    link = re.search(r'<a href="([^"]+)">Subscribe to the newsletter</a>', html)
    assert link
    newsletter = client.get(urljoin("http://testserver/en/mirrors/", link.group(1)))
    assert newsletter.status_code == 200


def test_the_page_takes_no_posts(client: Client, site_tree: Any) -> None:
    assert client.post("/en/mirrors/").status_code == 405


# The footer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "mirrors_path"),
    [
        ("/en/", "/en/mirrors/"),
        ("/en/news/court-opens-trial/", "/en/mirrors/"),
        ("/ru/", "/ru/mirrors/"),
        ("/donate/?language=ru", "/ru/mirrors/"),
        ("/en/mirrors/", "/en/mirrors/"),
    ],
)
def test_every_page_links_to_the_mirrors_in_its_footer(
    client: Client, newsroom: dict[str, Any], path: str, mirrors_path: str
) -> None:
    Mirror.objects.create(url="https://lantern-copy.example.net/", label="Cloud copy")
    response = client.get(path)
    assert response.status_code == 200
    href = footer_link(response.content.decode())

    assert not href.startswith(("/", "http")), href  # relative, so it works on every copy
    target = urljoin(f"http://testserver{response.wsgi_request.path}", href)
    assert target == f"http://testserver{mirrors_path}"
    page = client.get(target)
    assert page.status_code == 200
    assert "Cloud copy" in page.content.decode()


# Onion-Location ------------------------------------------------------------------------


def test_reader_pages_announce_the_onion_address_of_the_same_page(
    client: Client, newsroom: dict[str, Any], settings: Any
) -> None:
    settings.ONION_URL = ONION

    assert client.get("/en/").headers["Onion-Location"] == f"{ONION}/en/"
    article = client.get("/en/news/court-opens-trial/")
    assert article.headers["Onion-Location"] == f"{ONION}/en/news/court-opens-trial/"
    search = client.get("/en/search/", {"q": "суд"})
    assert search.headers["Onion-Location"] == f"{ONION}/en/search/?q=%D1%81%D1%83%D0%B4"
    # Whatever a request's path holds, the header stays one line.
    odd = client.get("/en/a%0D%0ASet-Cookie:%20x=1/")
    assert odd.status_code == 404
    assert odd.headers["Onion-Location"] == f"{ONION}/en/a%0D%0ASet-Cookie:%20x%3D1/"
    assert "x" not in odd.cookies


def test_no_onion_location_without_an_onion_address_or_in_the_admin(
    client: Client, admin_client: Client, site_tree: Any, settings: Any
) -> None:
    settings.ONION_URL = ""
    assert "Onion-Location" not in client.get("/en/").headers

    settings.ONION_URL = ONION
    admin = admin_client.get("/admin/")
    assert admin.status_code == 200
    assert "Onion-Location" not in admin.headers
    assert "Onion-Location" not in admin_client.get("/admin/mirrors/").headers


# The newsletter ------------------------------------------------------------------------


def test_every_newsletter_lists_the_public_mirrors_as_plain_addresses(
    mirrors: dict[str, Mirror], settings: Any
) -> None:
    settings.ONION_URL = ONION
    letter = render(Edition(language="ru", subject="Неделя"))

    addresses = [
        "https://storage.example.org/lantern/ru/",
        "https://lantern-copy.example.net/ru/",
        f"{mirrors['onion'].url}ru/",
        f"{ONION}/ru/",
    ]
    for part in (letter.text, letter.html):
        positions = [part.index(address) for address in addresses]
        assert positions == sorted(positions)
        assert "quiet-copy.example.com" not in part
        assert part.count("Tor Browser") == 2
    # Written out, not linked: every link in a letter is the site's own.
    assert "example.org/lantern" not in "".join(re.findall(r'href="[^"]*"', letter.html))
    assert not re.search(r'href="[^"]*\.onion', letter.html)


def test_a_letter_in_english_says_what_the_addresses_are_for(
    mirrors: dict[str, Mirror],
) -> None:
    letter = render(Edition(language="en", subject="The week"))
    assert "If our site is blocked, read us at:\nhttps://storage.example.org/lantern/en/\n" in (
        letter.text
    )
    assert "If our site is blocked, read us at:<br>https://storage.example.org/lantern/en/" in (
        letter.html
    )


def test_a_letter_without_mirrors_says_nothing_about_them(site_tree: Any, settings: Any) -> None:
    settings.ONION_URL = ""
    Mirror.objects.create(url="https://quiet-copy.example.com/", public=False)
    letter = render(Edition(language="en", subject="The week"))
    assert "blocked" not in letter.text and "blocked" not in letter.html


# The admin -----------------------------------------------------------------------------


def reporter_client() -> Client:
    user = User.objects.create_user("reporter", "reporter@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Reporters"))
    client = Client()
    client.force_login(user)
    return client


def test_staff_with_the_right_see_every_mirror_and_its_last_check(
    client: Client, mirrors: dict[str, Mirror]
) -> None:
    superuser = User.objects.create_superuser("chief", "chief@example.com", "pw")
    client.force_login(superuser)

    response = client.get("/admin/mirrors/")

    assert response.status_code == 200
    html = response.content.decode()
    for mirror in mirrors.values():
        assert mirror.url in html
    assert "For partners only" in html and "Lantern on a big cloud" in html
    assert "up to date" in html and "out of date" in html and "not checked yet" in html
    assert "Last checked" in html and "List it for readers" in html
    assert "/admin/mirrors/" in client.get("/admin/").content.decode()  # Settings → Mirrors
    report = client.get(f"/admin/mirrors/inspect/{mirrors['cloud'].pk}/").content.decode()
    assert "12 files sampled, all match the manifest" in report
    edit = client.get(f"/admin/mirrors/edit/{mirrors['cloud'].pk}/")
    assert edit.status_code == 200
    assert 'value="https://lantern-copy.example.net/"' in edit.content.decode()


def test_a_reporter_sees_neither_the_menu_item_nor_the_list(mirrors: dict[str, Mirror]) -> None:
    reporter = reporter_client()

    assert "/admin/mirrors/" not in reporter.get("/admin/").content.decode()
    response = reporter.get("/admin/mirrors/")
    assert response.status_code in {302, 403}
    assert "lantern-copy.example.net" not in response.content.decode()
    assert reporter.post("/admin/mirrors/new/", {"url": "https://evil.example/"}).status_code in {
        302,
        403,
    }
    assert not Mirror.objects.filter(url__startswith="https://evil").exists()


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://files.example.org/lantern/", "Enter an http:// or https:// address."),
        ("https://copy.example.org/?from=newsletter", "The address of a copy has no query"),
        ("https://copy.example.org/#top", "The address of a copy has no query"),
        ("javascript:alert(1)", "Enter a valid URL."),
    ],
)
def test_adding_a_mirror_with_a_bad_address_shows_why(
    admin_client: Client, site_tree: Any, url: str, error: str
) -> None:
    response = admin_client.post(
        "/admin/mirrors/new/", {"url": url, "label": "Copy", "public": "on", "sort_order": "0"}
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Mirror.objects.exists()


def test_adding_a_mirror_keeps_it_with_a_trailing_slash_and_lists_it(
    admin_client: Client, client: Client, site_tree: Any
) -> None:
    response = admin_client.post(
        "/admin/mirrors/new/",
        {
            "url": "https://copy.example.org/lantern",
            "label": "Copy",
            "public": "on",
            "sort_order": "1",
        },
    )

    assert response.status_code == 302
    mirror = Mirror.objects.get()
    assert mirror.url == "https://copy.example.org/lantern/"
    assert (
        'href="https://copy.example.org/lantern/en/"' in client.get("/en/mirrors/").content.decode()
    )
    again = admin_client.post(
        "/admin/mirrors/new/",
        {
            "url": "https://copy.example.org/lantern/",
            "label": "",
            "public": "on",
            "sort_order": "2",
        },
    )
    assert again.status_code == 200
    assert "already exists" in again.content.decode()
    assert Mirror.objects.count() == 1
