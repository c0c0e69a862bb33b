from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches

from samizdat.publishing.actions import ensure_site_tree
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    for alias in ("default", "renditions"):
        caches[alias].clear()


@pytest.fixture
def site_tree(db: Any) -> Any:
    """The skeleton every installation has: a home page and author index per language."""
    return ensure_site_tree()


@pytest.fixture
def newsroom(site_tree: Any) -> dict[str, Any]:
    """A small published newsroom: two sections, two authors, a few tagged articles."""
    home = factories.home("en")
    news = factories.SectionPageFactory(parent=home, title="News", slug="news")
    culture = factories.SectionPageFactory(parent=home, title="Culture", slug="culture")
    index = factories.author_index("en")
    anna = factories.AuthorPageFactory(parent=index, title="Anna Berg", slug="anna-berg")
    pavel = factories.AuthorPageFactory(parent=index, title="Pavel Drozd", slug="pavel-drozd")
    image = factories.ImageFactory(title="Court steps")
    lead = factories.ArticlePageFactory(
        parent=news,
        title="Court opens trial of reporter",
        slug="court-opens-trial",
        lead_image=image,
        authors=[anna, pavel],
        tags=["courts", "press-freedom"],
    )
    return {"home": home, "news": news, "culture": culture, "anna": anna, "pavel": pavel,
            "image": image, "lead": lead}  # fmt: skip
