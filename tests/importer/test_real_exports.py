"""The real exports, imported whole: WordPress's own theme unit test data and a Ghost 4 site.

Every post and page arrives, every block kind is converted or named in the report, every old
address answers 301 to the new page, and the imported pages pass the checks the demo
newsroom's pages pass: a strict HTML parse, nothing loaded from another origin, the weight
budget. The old site's files are served by a local server; nothing reaches the internet."""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoDbBlocker
from wagtail.models import Page

from samizdat.importer import media
from samizdat.importer.actions import import_export, source_name
from samizdat.importer.models import ImportedItem
from samizdat.importer.report import Report
from samizdat.importer.wordpress import read_wordpress
from samizdat.publishing.actions import ensure_site_tree
from tests.conftest import build_once
from tests.importer.checks import (
    assert_passes_the_demo_checks,
    local,
    pages_of,
    photo,
)
from tests.importer.fixtures import fixture
from tests.importer.old_site import old_site

pytestmark = pytest.mark.django_db

WORDPRESS = "wordpress/themeunittestdata.wordpress.xml"
WP = "{https://wordpress.org/export/1.2/}"  # the namespace this file is written in


def _import_wordpress() -> dict[str, Any]:
    ensure_site_tree()
    with old_site(fallback=photo()) as site:
        export = read_wordpress(fixture(WORDPRESS))
        resolver = media.Resolver(
            source=source_name(export.source),
            fetch_from={
                "https://wpthemetestdata.files.wordpress.com": site.url,
                "https://wpthemetestdata.wordpress.com": site.url,
            },
        )
        report = import_export(export, resolver=resolver)
    return {"report": report, "source": source_name(export.source)}


@pytest.fixture(scope="module")
def module_data_wordpress(
    module_transaction: bool, django_db_blocker: DjangoDbBlocker, no_internet: None
) -> dict[str, Any] | None:
    return build_once(module_transaction, django_db_blocker, _import_wordpress)


@pytest.fixture
def wordpress(module_data_wordpress: dict[str, Any] | None, no_internet: None) -> dict[str, Any]:
    return module_data_wordpress or _import_wordpress()


@functools.cache
def wxr_items() -> list[ET.Element]:
    return list(ET.parse(fixture(WORDPRESS)).getroot().iter("item"))


def field(item: ET.Element, name: str) -> str:
    return item.findtext(WP + name) or ""


# --- WordPress ------------------------------------------------------------------------------


def test_every_post_and_page_of_the_wordpress_export_arrives(wordpress: dict[str, Any]) -> None:
    expected: dict[str, dict[str, str]] = {"post": {}, "page": {}}
    for item in wxr_items():
        kind, status = field(item, "post_type"), field(item, "status")
        if kind in expected and status not in ("auto-draft", "inherit", "trash"):
            expected[kind][field(item, "post_id")] = status
    assert len(expected["post"]) > 30 and len(expected["page"]) > 10  # the file as we know it

    for kind, statuses in expected.items():
        arrived = pages_of(wordpress["source"], kind)
        assert set(arrived) == set(statuses), kind
        for source_id, status in statuses.items():
            page = arrived[source_id]
            public = status == "publish" and not field_of(source_id, "post_password")
            assert page.live == public, (kind, source_id, status)
    assert wordpress["report"].total("failed") == 0, wordpress["report"].render()


def field_of(source_id: str, name: str) -> str:
    for item in wxr_items():
        if field(item, "post_id") == source_id:
            return field(item, name)
    return ""


def test_each_block_kind_is_converted_or_named_in_the_report(wordpress: dict[str, Any]) -> None:
    report: Report = wordpress["report"]
    notes = "\n".join(line for lines in report.notes.values() for line in lines).lower()
    # What each kind becomes when it has an equivalent here.
    becomes = {
        "paragraph": {"paragraph"},
        "heading": {"subheading"},
        "image": {"image"},
        "gallery": {"gallery", "image"},
        "quote": {"quote", "paragraph"},
        "pullquote": {"quote", "paragraph"},
        "list": {"paragraph"},
        "list-item": {"paragraph"},
    }
    articles = pages_of(wordpress["source"], "post") | pages_of(wordpress["source"], "page")
    kinds: dict[str, set[str]] = {}
    for item in wxr_items():
        if field(item, "post_id") not in articles:
            continue  # a template, menu or reusable block: listed as left out
        body = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
        for name in re.findall(r"<!-- wp:([a-z][a-z0-9/-]*)", body):
            kinds.setdefault(name.removeprefix("core/"), set()).add(field(item, "post_id"))
    assert len(kinds) > 30
    for kind, posts in kinds.items():
        if kind in becomes:
            made = {
                block.block_type
                for source_id in posts
                if source_id in articles
                for block in articles[source_id].body
            }
            assert made & becomes[kind], kind
        else:
            assert kind.split("/")[-1] in notes or kind in notes, kind


def test_every_old_wordpress_address_answers_301_to_the_new_page(
    wordpress: dict[str, Any], client: Client
) -> None:
    checked = 0
    for kind in ("post", "page"):
        for source_id, page in pages_of(wordpress["source"], kind).items():
            if not page.live:
                continue
            item = next(i for i in wxr_items() if field(i, "post_id") == source_id)
            query = "p" if kind == "post" else "page_id"
            link = re.sub("/{2,}", "/", local(item.findtext("link") or ""))
            for old in {link, f"/?{query}={source_id}"}:
                if old in ("", "/"):
                    continue
                response = client.get(old)
                assert response.status_code == 301, (old, response.status_code)
                assert local(response["Location"]) == page.url, old
                checked += 1
    assert checked > 80
    for old in ("/category/markup/", "/tag/content-2/", "/feed/", "/category/markup/feed/"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert client.get(local(response["Location"])).status_code == 200, old


def test_imported_wordpress_pages_pass_the_checks_of_the_demo_newsroom(
    wordpress: dict[str, Any], client: Client
) -> None:
    pages = [
        page
        for kind in ("post", "page")
        for page in pages_of(wordpress["source"], kind).values()
        if page.live
    ]
    assert len(pages) > 40
    for page in pages:
        assert_passes_the_demo_checks(client, page.url)


def test_the_old_sites_images_are_copied_in_never_linked(wordpress: dict[str, Any]) -> None:
    images = ImportedItem.objects.filter(source=wordpress["source"], kind="image")
    assert images.count() > 10
    with_lead = [
        page for page in pages_of(wordpress["source"], "post").values() if page.lead_image_id
    ]
    assert with_lead
    for page in with_lead:
        assert page.lead_image.file.storage.exists(page.lead_image.file.name)


def test_a_second_import_of_the_same_export_changes_nothing(
    wordpress: dict[str, Any], no_internet: None
) -> None:
    pages = Page.objects.count()
    again = _import_wordpress()["report"]
    assert Page.objects.count() == pages
    assert again.total("created") == 0 and again.total("updated") == 0
    assert again.counts["post"]["unchanged"] > 40
