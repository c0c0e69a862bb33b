"""Information pages (About, Contact, Imprint…) editors make in the admin, placed in the
header or the footer, translated, in the bundle; and the secure contacts from Settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from pytest_django.fixtures import Settings
from wagtail.models import Page, PageViewRestriction
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from samizdat.core.signals import public_site_changed
from samizdat.mirrors import bundle, manifest
from samizdat.publishing.demo.demo_key import demo_public_key
from samizdat.publishing.models import InfoPage, SecureContactSettings
from samizdat.publishing.openpgp import read_public_key
from tests.logins import log_in
from tests.publishing.helpers import page_html, parse_html, resolve, text_of, translate

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/admin/settings/publishing/securecontactsettings/"
ONION = "http://" + "a" * 30 + "bcdefghijklmnopqrstuvwxyz2" + ".onion/"


def settings_url() -> str:
    """The edit view of Settings → Secure contact (the one row, made if missing)."""
    return f"{SETTINGS_URL}{SecureContactSettings.load().pk}/"


def editor() -> User:
    user = User.objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def info_page(parent: Page, slug: str, title: str, **fields: Any) -> InfoPage:
    fields.setdefault("body", [("paragraph", RichText(f"<p>{title}: the text.</p>"))])
    page = InfoPage(slug=slug, title=title, locale_id=parent.locale_id, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def links_in(html: str, selector: str) -> list[tuple[str, str]]:
    """(text, href) of the links inside the element whose class is ``selector``."""
    root = parse_html(html)
    found = [node for node in root.iter() if selector in (node.get("class") or "").split()]
    assert found, selector
    return [(text_of(a), a.get("href") or "") for a in found[0].iter("a")]


def header(html: str) -> list[str]:
    return [text for text, _href in links_in(html, "sections")]


def footer(html: str) -> list[str]:
    if 'class="footer-pages"' not in html:
        return []
    return [text for text, _href in links_in(html, "footer-pages")]


@pytest.fixture
def announced() -> Iterator[list[list[str] | None]]:
    """The public paths announced as changed, one list per announcement (None: all)."""
    heard: list[list[str] | None] = []

    def listen(sender: Any, paths: list[str] | None, **kwargs: Any) -> None:
        heard.append(paths)

    public_site_changed.connect(listen, dispatch_uid="test-info-pages")
    yield heard
    public_site_changed.disconnect(dispatch_uid="test-info-pages")


def test_an_editor_makes_a_page_in_the_admin_and_places_it_in_the_footer(
    client: Client, newsroom: dict[str, Any]
) -> None:
    log_in(client, editor())
    url = f"/admin/pages/add/publishing/infopage/{newsroom['home'].pk}/"
    assert client.get(url).status_code == 200
    form = nested_form_data(
        {
            "title": "Imprint",
            "slug": "imprint",
            "intro": "Who is responsible for this site.",
            "body": streamfield(
                [
                    ("subheading", "Publisher"),
                    ("paragraph", rich_text("<p>Lantern Media Foundation, register 42.</p>")),
                ]
            ),
            "show_in_footer": "on",
            "action-publish": "publish",
        }
    )
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    client.logout()

    html = page_html(client, "/en/imprint/")
    assert "<h1>Imprint</h1>" in html and "Lantern Media Foundation, register 42." in html
    assert "<h2>Publisher</h2>" in html and "Who is responsible for this site." in html
    front = page_html(client, "/en/")
    assert footer(front) == ["Imprint"] and "Imprint" not in header(front)
    story = page_html(client, "/en/news/court-opens-trial/")
    [(_text, href)] = links_in(story, "footer-pages")
    assert resolve("/en/news/court-opens-trial/", href) == "/en/imprint/"
    # Nothing in the other language's footer: the page is English only.
    assert footer(page_html(client, "/ru/")) == []


def test_header_and_footer_show_the_pages_chosen_in_tree_order(
    client: Client, newsroom: dict[str, Any]
) -> None:
    home = newsroom["home"]
    info_page(home, "about", "About us", show_in_menus=True, show_in_footer=True)
    info_page(home, "jobs", "Jobs", show_in_footer=True)
    info_page(home, "ethics", "Ethics")  # placed nowhere: reachable by its address only
    html = page_html(client, "/en/")
    assert header(html) == ["News", "Culture", "About us"]
    assert footer(html) == ["About us", "Jobs"]
    assert "Ethics" not in html
    assert "<h1>Ethics</h1>" in page_html(client, "/en/ethics/")


def test_a_change_of_placement_shows_on_every_page_at_once(
    client: Client, newsroom: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    about = info_page(newsroom["home"], "about", "About us", show_in_footer=True)
    assert footer(page_html(client, "/en/news/")) == ["About us"]  # cached now
    with django_capture_on_commit_callbacks(execute=True):
        about.title = "Who we are"
        about.show_in_menus = True
        about.save_revision().publish()
    html = page_html(client, "/en/news/")
    assert footer(html) == ["Who we are"] and header(html)[-1] == "Who we are"
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(
            page=about, restriction_type=PageViewRestriction.LOGIN
        )
    assert footer(page_html(client, "/en/news/")) == []  # private: not linked for readers
    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    assert footer(page_html(client, "/en/news/")) == ["Who we are"]
    with django_capture_on_commit_callbacks(execute=True):
        InfoPage.objects.get(pk=about.pk).unpublish()
    html = page_html(client, "/en/news/")
    assert footer(html) == [] and "Who we are" not in header(html)
    assert client.get("/en/about/").status_code == 404


def test_sub_pages_are_listed_on_their_parent(client: Client, newsroom: dict[str, Any]) -> None:
    about = info_page(newsroom["home"], "about", "About us")
    info_page(about, "team", "Our team")
    html = page_html(client, "/en/about/")
    [(text, href)] = links_in(html, "sub-pages")
    assert text == "Our team" and resolve("/en/about/", href) == "/en/about/team/"
    assert "<h1>Our team</h1>" in page_html(client, "/en/about/team/")


def test_a_translation_has_its_own_footer_and_language_links(
    client: Client, newsroom: dict[str, Any]
) -> None:
    about = info_page(newsroom["home"], "about", "About us", show_in_footer=True)
    translate(about, "ru", title="О нас", body=[("paragraph", RichText("<p>Кто мы.</p>"))])
    russian = page_html(client, "/ru/about/")
    assert '<html lang="ru">' in russian and "<h1>О нас</h1>" in russian and "Кто мы." in russian
    assert footer(russian) == ["О нас"]
    assert 'hreflang="en" href="http://testserver/en/about/"' in russian
    english = page_html(client, "/en/about/")
    assert 'hreflang="ru" href="http://testserver/ru/about/"' in english
    languages = dict(links_in(english, "languages"))
    assert resolve("/en/about/", languages["Русский"]) == "/ru/about/"
    assert footer(english) == ["About us"]


def contact_form(**fields: str) -> dict[str, str]:
    values = {
        "signal": "+44 7700 900417",
        "securedrop_address": ONION,
        "tips_email": "tips@lantern.example",
        "pgp_public_key": "",
    }
    values.update(fields)
    return values


def test_the_secure_contacts_come_from_settings_and_stay_current(
    client: Client,
    newsroom: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    announced: list[list[str] | None],
) -> None:
    secure = [("paragraph", RichText("<p>Write to us.</p>")), ("secure_contact", None)]
    info_page(newsroom["home"], "secure", "How to reach us securely", body=secure)
    info_page(newsroom["home"], "contact", "Contact", body=secure)
    info_page(newsroom["home"], "jobs", "Jobs")
    key = demo_public_key()
    fingerprint = read_public_key(key).grouped_fingerprint()

    staff = Client()
    log_in(staff, editor())  # editors may change the setting, not only administrators
    assert staff.get(SETTINGS_URL, follow=True).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(settings_url(), contact_form(pgp_public_key=key), follow=True)
    assert response.status_code == 200
    assert SecureContactSettings.load().signal == "+44 7700 900417"
    assert announced[-1] is not None
    assert set(announced[-1]) == {"/en/secure/", "/en/contact/"}

    for path in ("/en/secure/", "/en/contact/"):
        html = page_html(client, path)
        assert '<code class="secure-signal" translate="no">+44 7700 900417</code>' in html
        assert ONION in html and "tips@lantern.example" in html
        assert fingerprint in html and len(fingerprint.split(" ")) == 10
        assert '<pre class="pgp-key" translate="no">-----BEGIN PGP PUBLIC KEY BLOCK-----' in html
    assert "+44 7700 900417" not in page_html(client, "/en/jobs/")

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(settings_url(), contact_form(signal="lantern.01", pgp_public_key=key))
    html = page_html(client, "/en/secure/")
    assert "lantern.01" in html and "+44 7700 900417" not in html


def test_the_page_shows_nothing_of_contacts_not_set(
    client: Client, newsroom: dict[str, Any]
) -> None:
    body = [("secure_contact", None)]
    info_page(newsroom["home"], "secure", "How to reach us securely", body=body)
    html = page_html(client, "/en/secure/")
    assert 'class="secure-contact"' not in html
    SecureContactSettings.objects.update_or_create(defaults={"tips_email": "tips@example.org"})
    html = page_html(client, "/en/secure/")
    assert "tips@example.org" in html and "Signal" not in html and "<pre" not in html


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("signal", "0151 2345678", "international form"),
        ("signal", "+12", "international form"),
        ("securedrop_address", "http://short.onion", "56 letters"),
        ("securedrop_address", "http://example.org/drop", "https://"),
        ("tips_email", "tips at lantern", "valid email"),
        ("pgp_public_key", "my key is 0xDEADBEEF", "Paste the whole public key"),
        (
            "pgp_public_key",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nabc\n-----END PGP PRIVATE KEY BLOCK-----",
            "This is a private key",
        ),
        ("pgp_public_key", "damaged", "checksum does not match"),
    ],
)
def test_bad_secure_contacts_are_refused_with_a_reason(
    admin_client: Client, site_tree: Any, field: str, value: str, error: str
) -> None:
    if value == "damaged":
        lines = demo_public_key().splitlines()
        lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
        value = "\n".join(lines)
    response = admin_client.post(settings_url(), contact_form(**{field: value}), follow=True)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert SecureContactSettings.load().signal == ""  # nothing of the form was saved


def test_the_bundle_holds_the_pages_and_follows_their_changes(
    client: Client,
    newsroom: dict[str, Any],
    settings: Settings,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
    announced: list[list[str] | None],
) -> None:
    root = tmp_path / "bundle"
    settings.BUNDLE_DIR = root
    home = newsroom["home"]
    about = info_page(home, "about", "About us", show_in_footer=True)
    ethics = info_page(home, "ethics", "Ethics")
    info_page(home, "secure", "Secure", body=[("secure_contact", None)])
    bundle.build_bundle(root)
    for name in ("en/about/index.html", "en/ethics/index.html", "en/secure/index.html"):
        assert (root / name).is_file(), name
    assert "About us" in (root / "en/news/court-opens-trial/index.html").read_text()
    assert ethics.touched_paths() is not None
    assert about.touched_paths() is None  # in the footer: on every page

    settings.BUNDLE_AUTO_BUILD = True  # the test settings run tasks at once
    before = snapshot(root)
    with django_capture_on_commit_callbacks(execute=True):
        ethics.body = [("paragraph", RichText("<p>We name no source.</p>"))]
        ethics.save_revision().publish()
    changed = {rel for rel, data in snapshot(root).items() if before.get(rel) != data}
    assert "en/ethics/index.html" in changed
    assert not [rel for rel in changed if rel.endswith(".html") and "ethics" not in rel]
    assert "We name no source." in (root / "en/ethics/index.html").read_text()

    with django_capture_on_commit_callbacks(execute=True):
        SecureContactSettings.objects.update_or_create(defaults={"signal": "+44 7700 900418"})
    assert announced[-1] == ["/en/secure/"]
    assert "+44 7700 900418" in (root / "en/secure/index.html").read_text()
    bundle.build_bundle(tmp_path / "full")
    assert snapshot(root) == snapshot(tmp_path / "full")  # the changes alone, as a full build

    with django_capture_on_commit_callbacks(execute=True):
        about.title = "Who we are"
        about.save_revision().publish()
    assert announced[-1] is None
    assert "Who we are" in (root / "en/news/court-opens-trial/index.html").read_text()
    assert manifest.verify(root, public_key_pem=None) == []


def snapshot(root: Path) -> dict[str, bytes]:
    return {rel: Path(path).read_bytes() for rel, path in manifest.walk(root)}
