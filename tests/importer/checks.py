"""What an imported site must pass: the checks the demo newsroom's pages pass, and nothing
fetched from the internet while it is imported."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image
from wagtail.models import Page

from samizdat.importer.models import ImportedItem

# What loads something into the page: none of it may point at another origin.
LOADS = re.compile(r'\s(?:src|srcset|poster|data|action)="(?:https?:)?//([^"/]+)', re.I)
PAGE_BUDGET = 60 * 1024  # HTML + CSS + JS of a page, images excluded, as for the demo's


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (40, 90, 140)).save(out, "JPEG")
    return out.getvalue()


def pages_of(source: str, kind: str) -> dict[str, Page]:
    items = ImportedItem.objects.filter(source=source, kind=kind, page__isnull=False)
    return {
        item.source_id: item.page.specific
        for item in items.select_related("page")
        if item.page is not None
    }


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def assert_passes_the_demo_checks(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    # Forms post to the newsroom's own address (testserver here); nothing else leaves.
    assert [host for host in LOADS.findall(html) if host != "testserver"] == [], path
    weight = len(response.content)
    for asset in re.findall(r'<(?:link rel="stylesheet"|script)[^>]+(?:href|src)="([^"]+)"', html):
        found = finders.find(asset.split("static/", 1)[1].split("?", 1)[0])
        assert found, asset
        weight += Path(found).stat().st_size
    # A page of many photos carries each one's markup (sizes, caption): a kilobyte apiece.
    assert weight <= PAGE_BUDGET + 1024 * html.count("<img"), (path, weight)
