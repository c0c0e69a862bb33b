"""Galleries and documents in a story: on the page in each language, without any script, in
the feeds and the search; and what the admin says to a gallery without photos."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import feedparser
import pytest
from django.conf import settings
from django.test import Client
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.logins import log_in
from tests.publishing.helpers import page_html, parse_html, resolve, text_of, translate
from tests.publishing.test_admin import staff

pytestmark = pytest.mark.django_db

CAPTIONS = ("Stalls under the railway bridge.", "The fish hall, built in 1911.")


def gallery(images: list[Any], title: str = "Mornings at the market") -> tuple[str, Any]:
    return (
        "gallery",
        {
            "title": title,
            "images": [
                {
                    "image": image,
                    "caption": CAPTIONS[n],
                    "credit": "Photo: Irena Vask",
                    "alt": "Empty stalls at dawn" if n == 0 else "",
                }
                for n, image in enumerate(images)
            ],
        },
    )


def document_block(document: Any, title: str = "The court's order") -> tuple[str, Any]:
    return ("document", {"document": document, "title": title, "description": "One page."})


@pytest.fixture
def story(newsroom: dict[str, Any]) -> ArticlePage:
    images = [factories.ImageFactory(title="Stalls"), factories.ImageFactory(title="Fish hall")]
    return factories.ArticlePageFactory(
        parent=newsroom["news"],
        title="The river market's last summer",
        slug="river-market",
        body=[
            ("paragraph", RichText("<p>The market opens before dawn.</p>")),
            gallery(images),
            document_block(factories.pdf_document()),
        ],
        authors=[newsroom["anna"]],
    )


def test_a_gallery_shows_every_photo_with_caption_credit_and_alt_text(
    client: Client, story: ArticlePage
) -> None:
    html = page_html(client, "/en/news/river-market/")
    root = parse_html(html)
    section = root.find(".//section[@class='gallery']")
    assert section is not None and section.get("aria-label") == "Mornings at the market"
    figures = section.findall(".//ol[@class='gallery-items']/li/figure")
    assert [text_of(f.find("figcaption")) for f in figures] == [  # type: ignore[arg-type]
        f"{CAPTIONS[0]} Photo: Irena Vask",
        f"{CAPTIONS[1]} Photo: Irena Vask",
    ]
    images = [figure.find("img") for figure in figures]
    # The explicit alternative text, else the caption.
    assert [img.get("alt") for img in images] == ["Empty stalls at dawn", CAPTIONS[1]]  # type: ignore[union-attr]
    for img in images:
        assert img is not None
        assert img.get("loading") == "lazy" and img.get("width") and img.get("height")
        assert img.get("sizes") == "(min-width: 36rem) 20rem, 100vw"
        sources = [part.split()[0] for part in img.get("srcset", "").split(", ")]
        for src in [img.get("src", ""), *sources]:
            assert resolve("/en/news/river-market/", src).startswith("/media/images/")
            rel = resolve("/en/news/river-market/", src).removeprefix("/media/")
            assert (Path(settings.MEDIA_ROOT) / rel).is_file()
    # Readable without JavaScript: no script at all in the story's body.
    body = root.find(".//div[@class='article-body']")
    assert body is not None and body.find(".//script") is None


def test_a_document_shows_its_title_type_size_and_a_relative_download_link(
    client: Client, story: ArticlePage
) -> None:
    story_path = "/en/news/river-market/"
    root = parse_html(page_html(client, story_path))
    aside = root.find(".//aside[@class='document']")
    assert aside is not None
    assert text_of(aside.find("p[@class='document-title']")) == "The court's order"  # type: ignore[arg-type]
    assert "One page." in text_of(aside)
    meta = text_of(aside.find(".//small[@class='document-meta']"))  # type: ignore[arg-type]
    assert re.fullmatch(r"PDF, \d+(\.\d)?\xa0(bytes|KB)", meta), meta
    link = aside.find(".//a")
    assert link is not None and link.get("download") is not None
    assert link.get("type") == "application/pdf" and text_of(link) == "Download"
    href = link.get("href", "")
    assert not href.startswith("/")
    assert re.fullmatch(r"/media/documents/court-order(_\w+)?\.pdf", resolve(story_path, href))
    response = client.get(resolve(story_path, href))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_both_blocks_read_in_russian_with_localised_size(
    client: Client, story: ArticlePage
) -> None:
    big = factories.pdf_document(title="Приговор", name="Приговор.pdf")
    path = big.file.path
    with open(path, "ab") as handle:  # a large ruling: 1.2 MB
        handle.write(b"%" + b"0" * 1_258_000 + b"\n")
    big.file_size = None
    big.save()
    images = [factories.ImageFactory(title="Прилавки"), factories.ImageFactory(title="Павильон")]
    translate(
        story,
        "ru",
        slug="rynok",
        title="Последнее лето речного рынка",
        body=[gallery(images, title=""), document_block(big, title="Приговор суда")],
    )
    root = parse_html(page_html(client, "/ru/news/rynok/"))
    section = root.find(".//section[@class='gallery']")
    assert section is not None and section.get("aria-label") == "Фотогалерея"
    assert len(section.findall(".//figure")) == 2
    aside = root.find(".//aside[@class='document']")
    assert aside is not None and aside.get("aria-label") == "Документ"
    assert text_of(aside.find(".//a")) == "Скачать"  # type: ignore[arg-type]
    assert text_of(aside.find(".//small")) == "PDF, 1,2\xa0МБ"  # type: ignore[arg-type]
    href = aside.find(".//a").get("href", "")  # type: ignore[union-attr]
    assert "%D0%9F" in href  # percent-encoded, and it leads to the file
    assert client.get(resolve("/ru/news/rynok/", href)).status_code == 200


def test_feeds_carry_both_blocks_with_absolute_links(client: Client, story: ArticlePage) -> None:
    for kind in ("rss", "atom"):
        parsed = feedparser.parse(client.get(f"/en/feed/{kind}/").content)
        entry = next(e for e in parsed.entries if e.title == "The river market's last summer")
        content = entry.content[0].value
        assert "Mornings at the market" in content and CAPTIONS[1] in content
        assert re.search(
            r'href="http://testserver/media/documents/court-order(_\w+)?\.pdf"', content
        )
        assert "The court&#x27;s order" in content or "The court's order" in content
        assert re.search(r'<img [^>]*src="http://testserver/media/images/[^"]+\.webp"', content)


def test_captions_and_document_titles_are_searched_and_read(
    client: Client, story: ArticlePage
) -> None:
    for query in ("fish hall", "court's order"):
        html = page_html(client, f"/en/search/?{urlencode({'q': query})}")
        assert "The river market&#x27;s last summer" in html, query
    words_before = story.reading_minutes
    story.body = [
        *((child.block_type, child.value) for child in story.body),
        gallery([factories.ImageFactory(), factories.ImageFactory()], title="word " * 400),
    ]
    story.save()
    assert story.reading_minutes > words_before


def test_a_gallery_without_photos_is_a_form_error_in_the_admin(
    client: Client, newsroom: dict[str, Any]
) -> None:
    log_in(client, staff("editor", "Editors"))
    url = f"/admin/pages/add/publishing/articlepage/{newsroom['news'].pk}/"

    def form(photos: list[Any]) -> dict[str, Any]:
        images = {
            "count": str(len(photos)),
            **{
                str(n): {
                    "deleted": "",
                    "order": str(n),
                    "id": "",
                    "value": {"image": str(photo.pk), "caption": "", "credit": "", "alt": ""},
                }
                for n, photo in enumerate(photos)
            },
        }
        return nested_form_data(
            {
                "title": "Market in pictures",
                "slug": "market-in-pictures",
                "standfirst": "Its last summer.",
                "body": streamfield([("gallery", {"title": "", "images": images})]),
                "article_authors": inline_formset([{"author": str(newsroom["anna"].pk)}], min=1),
                "tags": "",
                "action-publish": "publish",
            }
        )

    response = client.post(url, form([]))
    assert response.status_code == 200  # the form again, with the reason
    assert "The minimum number of items is 2" in response.content.decode()
    assert not ArticlePage.objects.filter(slug="market-in-pictures").exists()
    response = client.post(url, form([newsroom["image"], factories.ImageFactory()]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ArticlePage.objects.get(slug="market-in-pictures").live
