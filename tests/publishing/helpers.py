"""Small helpers shared by the publishing tests: fetching, parsing, drafts and translations."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

import html5lib
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.documents import get_document_model
from wagtail.models import Locale, Page
from wagtail.rich_text import RichText
from wagtailmedia.models import get_media_model

from samizdat.core.paths import language_roots, public_path
from samizdat.mirrors import bundle
from samizdat.publishing.models import ArticlePage
from tests import factories

if TYPE_CHECKING:
    from tests.responses import ClientResponse

SITE = "http://testserver"


def get_ok(client: Client, path: str) -> ClientResponse:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response


def page_html(client: Client, path: str) -> str:
    return get_ok(client, path).content.decode()


def parse_html(html: str) -> Element:
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def text_of(element: Element) -> str:
    return "".join(element.itertext()).strip()


def card_titles(root: Element, container: str = ".//main") -> list[str]:
    """Headlines of the article cards inside ``container``, in reading order."""
    scope = root.find(container)
    assert scope is not None, container
    return [text_of(heading) for heading in scope.iter() if heading.get("class") == "card-title"]


def resolve(page_path: str, href: str) -> str:
    """The site path a (relative) link on the page at ``page_path`` leads to."""
    return urlsplit(urljoin(SITE + page_path, href)).path


def path_of(page: Page) -> str:
    """The public path of a page (``/en/news/story/``)."""
    found = public_path(page.url_path, language_roots())
    assert found is not None, page.url_path
    return found


def set_published_at(page: Page, when: datetime) -> None:
    Page.objects.filter(pk=page.pk).update(first_published_at=when, last_published_at=when)
    page.first_published_at = page.last_published_at = when


def draft_article(parent: Page, tags: tuple[str, ...] = (), **fields: Any) -> ArticlePage:
    """An article an editor has saved but never published."""
    fields.setdefault("standfirst", "Not ready yet.")
    article = ArticlePage(live=False, locale_id=parent.locale_id, **fields)
    if tags:
        article.tags.add(*tags)
    parent.add_child(instance=article)
    article.save_revision()
    article.refresh_from_db()
    assert not article.live
    return article


def translate(page: Page, language: str = "ru", **fields: Any) -> Page:
    """Translate ``page`` (and any untranslated parents), publish it and its ancestors."""
    locale = Locale.objects.get(language_code=language)
    translated = page.copy_for_translation(locale, copy_parents=True, alias=False)
    for name, value in fields.items():
        setattr(translated, name, value)
    translated.save_revision().publish()
    for ancestor in translated.get_ancestors().filter(depth__gt=1).specific():
        if not ancestor.live:
            ancestor.save_revision().publish()
    cache.clear()  # navigation is cached per language
    translated.refresh_from_db()
    return translated.specific


def stored_media(kind: str, name: str, data: bytes, **fields: Any) -> Any:
    """An audio or video file as the media library stores it."""
    media = get_media_model()(title=name, type=kind, **fields)
    media.file = ContentFile(data, name=name)
    media.save()
    return media


def stored_subtitles(language: str, text: str) -> Any:
    document = get_document_model()(title=f"Subtitles {language}")
    document.file = ContentFile(text.encode(), name=f"film.{language}.vtt")
    document.save()
    return document


def media_story(parent: Page, kind: str, media: Any, **fields: Any) -> ArticlePage:
    """A published story whose body holds ``media`` (audio or video) between two paragraphs;
    ``fields`` may give the block's ``subtitles``, ``poster_image``, ``transcript``…"""
    value: dict[str, Any] = {
        "media": media,
        "caption": "",
        "credit": "",
        "transcript": "",
        "subtitles": [],
    }
    for name in ("subtitles", "poster_image", "transcript", "caption", "credit"):
        if name in fields:
            value[name] = fields.pop(name)
    body = [
        ("paragraph", RichText("<p>Before the player.</p>")),
        (kind, value),
        ("paragraph", RichText("<p>After the player.</p>")),
    ]
    article: ArticlePage = factories.ArticlePageFactory(parent=parent, body=body, **fields)
    return article


def same_as_full_build(root: Path, other: Path) -> None:
    """The bundle at ``root``, kept up to date by rebakes, holds the same files with the same
    bytes as a full build into ``other`` (the manifest aside)."""

    def files(where: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(where)): path.read_bytes()
            for path in where.rglob("*")
            if path.is_file() and path.name != "manifest.json"
        }

    bundle.build_bundle(other)
    mine, full = files(root), files(other)
    assert sorted(mine) == sorted(full)
    assert [name for name in mine if mine[name] != full[name]] == []
