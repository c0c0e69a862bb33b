"""factory_boy factories for the newsroom's pages; pages are created in the tree and published."""

from __future__ import annotations

import io
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.core.files.images import ImageFile
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.rich_text import RichText

from samizdat.publishing.demo import generate_photo
from samizdat.publishing.models import (
    ArticlePage,
    ArticlePageAuthor,
    AuthorIndexPage,
    AuthorPage,
    HomePage,
    SectionPage,
)

PageT = TypeVar("PageT", bound=Page)


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_image_model()

    title = factory.Sequence(lambda n: f"Photo {n}")
    file = factory.LazyAttribute(
        lambda o: ImageFile(io.BytesIO(generate_photo(o.title, 1300, 730)), name="photo.jpg")
    )


class PageFactory(factory.Factory[PageT]):
    """Creates a page under ``parent`` and publishes it, as an editor would."""

    class Meta:
        abstract = True

    parent: Any = None
    published_at: datetime | None = None

    if TYPE_CHECKING:
        # Calling a factory returns the page it created (factory_boy's metaclass does that,
        # untyped); mypy otherwise takes the call for an instance of the factory.
        def __new__(cls, **kwargs: Any) -> PageT: ...  # type: ignore[misc]

    @classmethod
    def _create(cls, model_class: type[Page], *args: Any, **kwargs: Any) -> Page:
        parent = kwargs.pop("parent")
        published_at = kwargs.pop("published_at", None)
        authors = kwargs.pop("authors", [])
        tags = kwargs.pop("tags", [])
        page = model_class(locale_id=parent.locale_id, **kwargs)
        for order, author in enumerate(authors):
            page.article_authors.add(ArticlePageAuthor(author=author, sort_order=order))
        if tags:
            page.tags.add(*tags)
        parent.add_child(instance=page)
        page.save_revision().publish()
        if published_at is not None:
            Page.objects.filter(pk=page.pk).update(
                first_published_at=published_at, last_published_at=published_at
            )
            page.first_published_at = page.last_published_at = published_at
        return page


class SectionPageFactory(PageFactory[SectionPage]):
    class Meta:
        model = SectionPage

    title = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    show_in_menus = True


class AuthorPageFactory(PageFactory[AuthorPage]):
    class Meta:
        model = AuthorPage

    title = factory.Sequence(lambda n: f"Author {n}")
    slug = factory.Sequence(lambda n: f"author-{n}")
    role = "Reporter"
    bio = "Writes about the things that matter."


class ArticlePageFactory(PageFactory[ArticlePage]):
    class Meta:
        model = ArticlePage

    title = factory.Sequence(lambda n: f"Headline number {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    standfirst = factory.Sequence(lambda n: f"The standfirst of story {n}.")
    lead_caption = "People wait outside the court."
    lead_credit = "Photo: Lantern staff"
    body = factory.LazyFunction(
        lambda: [
            ("paragraph", RichText("<p>First paragraph with a <b>bold</b> fact.</p>")),
            ("subheading", "What comes next"),
            (
                "quote",
                {"text": "We will keep reporting.", "speaker": "Ada Lind", "source": "editor"},
            ),
            ("paragraph", RichText("<p>Second paragraph.</p>")),
        ]
    )


def home(language: str = "en") -> HomePage:
    return HomePage.objects.get(locale__language_code=language)


def author_index(language: str = "en") -> AuthorIndexPage:
    return AuthorIndexPage.objects.get(locale__language_code=language)


def pdf_document(title: str = "Court order", name: str = "court-order.pdf") -> Any:
    """A stored PDF document (one page of text, as the demo writes it)."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    from samizdat.publishing.demo.galleries_documents import court_order_pdf

    document = get_document_model()(title=title)
    document.file = ContentFile(court_order_pdf(), name=name)
    document.save()
    return document
