"""`samizdat seed`'s synthetic archive: ordinary published content, with named tags."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from taggit.models import Tag

from samizdat.core.paths import language_roots, public_path
from samizdat.publishing.models import ArticlePage
from samizdat.publishing.seed import seed_articles

pytestmark = pytest.mark.django_db


def test_synthetic_archive_is_ordinary_published_content(client: Client, site_tree: Any) -> None:
    assert seed_articles(60, batch_size=25, index_in_background=False) == 60
    articles = ArticlePage.objects.live()
    assert articles.count() == 60
    assert articles.filter(tagged_items__isnull=False).distinct().count() == 60
    assert articles.filter(article_authors__isnull=False).distinct().count() == 60
    years = {article.first_published_at.year for article in articles}
    assert len(years) >= 3

    newest = articles.order_by("-first_published_at").first()
    assert newest is not None
    path = public_path(newest.url_path, language_roots())
    assert path is not None and newest.title in client.get(path).content.decode()
    section_path = path.rsplit("/", 2)[0] + "/"
    assert newest.title in client.get(section_path).content.decode()
    assert newest in list(ArticlePage.objects.live().search(newest.title, operator="and"))


def test_synthetic_archive_names_its_tags(site_tree: Any) -> None:
    seed_articles(5, batch_size=5, index_in_background=False)
    assert Tag.objects.get(slug="press-freedom").name == "press freedom"
    assert not Tag.objects.filter(name__contains="-").exists()
