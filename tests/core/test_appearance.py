"""Settings → Appearance: what editors may set (and what is refused, with the reason), and
what readers get: the name, the logo, the accent and only the chosen fonts, on the live pages
and in the static bundle, under the same content security policy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from fontTools.ttLib import TTFont
from pytest_django.fixtures import Settings

from samizdat.core import appearance
from samizdat.core.appearance import FONT_CHOICES, clean_svg, contrast
from samizdat.core.middleware import content_security_policy
from samizdat.core.models import Appearance
from samizdat.core.signals import public_site_changed
from samizdat.mirrors import bundle
from tests import factories
from tests.logins import log_in

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/admin/settings/samizdat_core/appearance/"
ARTICLE = "/en/news/court-opens-trial/"
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40" width="40" height="40">'
    '<circle cx="20" cy="20" r="18" style="fill:#8a1c1c;stroke:#000"/></svg>'
)


def settings_form(client: Client) -> tuple[str, dict[str, Any]]:
    """The Appearance form's address and its fields as the admin fills them in."""
    response = client.get(SETTINGS_URL, follow=True)
    assert response.status_code == 200
    url = response.redirect_chain[-1][0] if response.redirect_chain else SETTINGS_URL
    return url, {"site_name": "", "logo": "", "accent": "", "fonts": "system"}


def save(client: Client, **fields: Any) -> Any:
    url, data = settings_form(client)
    data.update(fields)
    return client.post(url, data)


def errors(response: Any) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: [str(e) for e in found] for name, found in form.errors.items()}


@pytest.fixture
def editor(admin_user: Any) -> Client:
    client = Client()
    log_in(client, admin_user)
    return client


@pytest.mark.parametrize(
    ("colour", "reason"),
    [
        ("red", "six hexadecimal digits"),
        ("#12345", "six hexadecimal digits"),
        ("#ffcc00", "contrast is 1.5:1"),  # yellow: white text on it cannot be read
        ("#3d7eff", "at least 4.5:1"),
    ],
)
def test_an_illegible_or_malformed_accent_is_refused_with_the_reason(
    editor: Client, colour: str, reason: str
) -> None:
    response = save(editor, accent=colour)
    assert response.status_code == 200
    assert any(reason in message for message in errors(response)["accent"])
    assert not Appearance.objects.exclude(accent="").exists()


def test_a_dark_accent_is_kept_and_reaches_the_stylesheet(
    editor: Client, newsroom: dict[str, Any]
) -> None:
    assert contrast("#0a5c36", "#ffffff") >= 4.5
    response = save(editor, accent="#0A5C36")
    assert response.status_code == 302
    assert Appearance.objects.get().accent == "#0A5C36"
    css = Client().get("/appearance.css")
    assert css["Content-Type"].startswith("text/css")
    assert ":root{--accent:#0a5c36}" in css.content.decode()
    page = Client().get(ARTICLE).content.decode()
    link = re.search(r'<link rel="stylesheet" href="([^"]*appearance\.css\?v=\w{8})">', page)
    assert link is not None and link.group(1).startswith("../../../appearance.css")


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><script>alert(1)</script></svg>',
            "it contains a script",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9" onload="alert(1)"/>',
            "runs script",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'viewBox="0 0 9 9"><use xlink:href="https://evil.example/x.svg#a"/></svg>',
            "refers to another file or site",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">'
            '<rect width="9" height="9" fill="url(https://evil.example/p)"/></svg>',
            "refers to another file or site",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><foreignObject>'
            '<p xmlns="http://www.w3.org/1999/xhtml">hi</p></foreignObject></svg>',
            "not SVG",
        ),
        (
            '<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>',
            "entity declarations",
        ),
        ("<html><body>not a drawing</body></html>", "not an SVG drawing"),
    ],
)
def test_an_unsafe_svg_logo_is_refused_with_the_reason(
    editor: Client, svg: str, reason: str
) -> None:
    upload = SimpleUploadedFile("logo.svg", svg.encode(), content_type="image/svg+xml")
    response = save(editor, svg_logo_file=upload)
    assert response.status_code == 200
    assert any(reason in message for message in errors(response)["svg_logo_file"])
    assert not Appearance.objects.exclude(logo_svg="").exists()


def test_a_safe_svg_logo_is_cleaned_and_shown_in_the_masthead(
    editor: Client, newsroom: dict[str, Any]
) -> None:
    drawn = LOGO.replace(
        "<circle",
        '<metadata xmlns:i="http://example.org/inkscape"><i:x/></metadata><circle',
    )
    upload = SimpleUploadedFile("logo.svg", drawn.encode(), content_type="image/svg+xml")
    response = save(editor, svg_logo_file=upload, site_name="The Evening Lamp")
    assert response.status_code == 302
    page = Client().get("/en/").content.decode()
    masthead = page.split('<header class="masthead">', 1)[1].split("</header>", 1)[0]
    assert '<svg class="brand-logo" aria-hidden="true"' in masthead
    # The style attribute the page's policy would block became plain attributes.
    assert 'fill="#8a1c1c"' in masthead and "style=" not in masthead
    assert "metadata" not in masthead
    assert '<span class="brand-name">The Evening Lamp</span>' in masthead
    assert re.search(r"<title>[^<]*The Evening Lamp</title>", page)

    # Removing it leaves the name alone.
    response = save(editor, remove_svg_logo="on", site_name="The Evening Lamp")
    assert response.status_code == 302
    masthead = Client().get("/en/").content.decode().split("</header>", 1)[0]
    assert "<svg" not in masthead


def test_a_raster_logo_is_a_sized_rendition_in_the_bundle(
    editor: Client, newsroom: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    image: Any = factories.ImageFactory(title="Lamp logo")
    assert save(editor, logo=str(image.pk)).status_code == 302
    page = Client().get(ARTICLE).content.decode()
    logo = re.search(r'<img class="brand-logo" src="([^"]+)" srcset="([^" ]+) 2x" [^>]*>', page)
    assert logo is not None
    assert 'height="48"' in logo.group(0) and re.search(r'width="\d+"', logo.group(0))
    assert logo.group(1).startswith("../../../media/images/")

    report = bundle.build_bundle(tmp_path / "bundle")
    assert report.problems == []
    for rel in (logo.group(1), logo.group(2)):
        assert (tmp_path / "bundle" / rel.removeprefix("../../../")).is_file()


def test_both_an_image_and_an_svg_logo_are_refused(editor: Client) -> None:
    Appearance.objects.create(logo_svg=clean_svg(LOGO))
    image: Any = factories.ImageFactory(title="Lamp logo")
    response = save(editor, logo=str(image.pk))
    assert response.status_code == 200
    assert "Choose either an image or an SVG logo" in errors(response)["logo"][0]


def test_without_a_setting_pages_use_system_fonts_and_link_no_stylesheet_of_it(
    client: Client, newsroom: dict[str, Any]
) -> None:
    page = client.get(ARTICLE).content.decode()
    assert "appearance.css" not in page
    assert ".woff2" not in page
    assert '<span class="brand-name">The Lantern</span>' in page


@pytest.mark.parametrize("choice", [key for key in FONT_CHOICES if key != "system"])
def test_pages_link_only_the_chosen_fonts_files(
    client: Client, newsroom: dict[str, Any], choice: str
) -> None:
    Appearance.objects.create(fonts=choice)
    page = client.get(ARTICLE).content.decode()
    preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="font"', page)
    assert len(preloads) == 1
    css = client.get("/appearance.css").content.decode()
    linked = set(re.findall(r"url\(static/samizdat/fonts/([\w-]+\.woff2)\)", css))
    wanted = {f"{stem}.woff2" for _family, stem, _weight in FONT_CHOICES[choice].files}
    assert linked == wanted
    assert css.count("font-display:optional") == len(wanted)
    assert preloads[0].rsplit("/", 1)[-1] in wanted
    assert f'--serif:"{FONT_CHOICES[choice].text}"' in css


def test_font_files_are_small_and_have_the_cyrillic_of_russian_and_ukrainian() -> None:
    stems = {stem for choice in FONT_CHOICES.values() for _f, stem, _w in choice.files}
    assert stems
    for stem in stems:
        found = finders.find(f"samizdat/fonts/{stem}.woff2")
        assert found, stem
        assert Path(found).stat().st_size <= 60 * 1024, stem
        font = TTFont(found)
        assert font.flavor == "woff2"
        characters = font.getBestCmap()
        for letter in "AzЖжЩщЁёҐґЄєІіЇї№":
            assert ord(letter) in characters, (stem, letter)
    for family in ("literata", "inter"):
        assert finders.find(f"samizdat/fonts/{family}-LICENSE.txt"), family


def test_the_accent_and_fonts_reach_the_bundle_and_their_links_resolve(
    newsroom: dict[str, Any], tmp_path: Path
) -> None:
    Appearance.objects.create(accent="#0a5c36", fonts="literata-inter")
    root = tmp_path / "bundle"
    assert bundle.build_bundle(root).problems == []
    css = (root / "appearance.css").read_text()
    assert "--accent:#0a5c36" in css
    for font in re.findall(r"url\(([^)]+)\)", css):
        assert (root / font).is_file(), font
    page = (root / "en/news/court-opens-trial/index.html").read_text()
    assert '<link rel="stylesheet" href="../../../appearance.css?v=' in page
    preload = re.search(r'<link rel="preload" href="\.\./\.\./\.\./([^"]+)"', page)
    assert preload is not None and (root / preload.group(1)).is_file()


def test_changing_the_appearance_re_renders_every_page(
    django_capture_on_commit_callbacks: Any,
) -> None:
    heard: list[Any] = []

    def listen(sender: Any, paths: Any, **kwargs: Any) -> None:
        heard.append(paths)

    public_site_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            Appearance.objects.create(accent="#0a5c36")
    finally:
        public_site_changed.disconnect(listen)
    assert heard == [None]
    assert appearance.load().accent == "#0a5c36"


def test_the_content_security_policy_still_forbids_inline_style_and_other_origins(
    client: Client, newsroom: dict[str, Any], settings: Settings
) -> None:
    Appearance.objects.create(accent="#0a5c36", fonts="inter", logo_svg=clean_svg(LOGO))
    response = client.get(ARTICLE)
    policy = response["Content-Security-Policy"]
    assert policy == content_security_policy()
    assert "style-src 'self';" in policy and "font-src 'self';" in policy
    assert "unsafe-inline" not in policy
    page = response.content.decode()
    assert "<style" not in page and " style=" not in page
    # Nothing from elsewhere: the only absolute addresses are the app's own (its forms).
    absolute = re.findall(r'(?:href|src)="((?:https?:)?//[^"]*)"', page.split("<body>", 1)[1])
    assert absolute and all(url.startswith(settings.SITE_URL + "/") for url in absolute)


def test_an_article_with_logo_accent_and_fonts_stays_within_60_kb(
    client: Client, newsroom: dict[str, Any]
) -> None:
    """HTML + CSS + JS of an article with the demo's look; the fonts are budgeted apart."""
    from samizdat.publishing.demo.appearance import seed_appearance

    seed_appearance()
    html = client.get(ARTICLE).content.decode()
    assets = re.findall(r'<(?:link rel="stylesheet"|script)[^>]+(?:href|src)="([^"]+)"', html)
    assert any("appearance.css" in asset for asset in assets)
    weight = len(html.encode())
    for asset in assets:
        if "appearance.css" in asset:
            weight += len(client.get("/appearance.css").content)
            continue
        found = finders.find(asset.split("static/", 1)[1].split("?", 1)[0])
        assert found, asset
        weight += Path(found).stat().st_size
    assert weight <= 60 * 1024, weight


def test_the_newsroom_name_of_the_setting_reaches_feeds_and_structured_data(
    client: Client, newsroom: dict[str, Any]
) -> None:
    Appearance.objects.create(site_name="The Evening Lamp")
    feed = client.get("/en/feed/rss/").content.decode()
    assert "<title>The Evening Lamp</title>" in feed
    page = client.get(ARTICLE).content.decode()
    assert '"publisher":{"@type":"Organization","name":"The Evening Lamp"' in page
