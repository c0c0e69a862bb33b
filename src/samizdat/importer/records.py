"""What an export holds, in the same shape whichever system wrote it.

The WordPress and Ghost readers turn their exports into these records; ``actions`` writes them
into the newsroom. Addresses (``old_paths``) are paths on the old site, each beginning with
``/``, with a query where the old address had one (``/?p=12``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass
class Source:
    """The old site: which system, its address and its language."""

    system: Literal["wordpress", "ghost"]
    site_url: str  # "https://example.org" (no trailing slash); "" when the export lacks it
    title: str = ""
    language: str = ""  # the site's language code, "" when unknown


@dataclass
class ImageRef:
    """An image of the old site, by its address there."""

    url: str
    alt: str = ""
    caption: str = ""
    credit: str = ""


@dataclass
class Author:
    source_id: str
    slug: str
    name: str
    bio: str = ""
    photo: ImageRef | None = None
    old_paths: list[str] = field(default_factory=list)


@dataclass
class Term:
    """A category (becomes a section) or a tag."""

    kind: Literal["category", "tag"]
    source_id: str
    slug: str
    name: str
    description: str = ""
    parent_slug: str = ""
    language: str = ""
    old_paths: list[str] = field(default_factory=list)


@dataclass
class Post:
    """A post (becomes an article) or a page (becomes an information page)."""

    kind: Literal["post", "page"]
    source_id: str
    slug: str
    title: str
    status: Literal["published", "draft", "scheduled", "private", "trash"]
    body_html: str  # WordPress block markup or classic HTML; Ghost's HTML
    published_at: datetime | None = None  # aware; the go-live time when scheduled
    modified_at: datetime | None = None
    excerpt: str = ""
    language: str = ""  # "" = the site's language
    translation_of: str = ""  # source id of the post this one translates, when known
    author_ids: list[str] = field(default_factory=list)
    category_slugs: list[str] = field(default_factory=list)
    tag_slugs: list[str] = field(default_factory=list)
    featured_image: ImageRef | None = None
    old_paths: list[str] = field(default_factory=list)


@dataclass
class Member:
    """A newsletter reader of the old system, with the consent it recorded."""

    email: str
    name: str = ""
    language: str = ""
    consented_at: datetime | None = None  # when they signed up there; None = no record
    consent_source: str = ""  # "Ghost member signup at example.org", "CSV: Mailchimp audience"


class ExportError(Exception):
    """The file is not an export the reader understands; the message says which file, what
    was expected and where it went wrong."""
