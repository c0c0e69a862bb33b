"""Stories of this week with photos, signing keys and readers of the edition files."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.utils import timezone
from wagtail.rich_text import RichText

from samizdat.editions import build
from samizdat.mirrors import manifest
from samizdat.publishing.models import ArticlePage
from tests import factories


def this_week(language: str = "en") -> build.Week:
    return build.Week.of(timezone.now(), language)


def week_stories(count: int, *, language: str = "en", prefix: str = "Story") -> list[ArticlePage]:
    """``count`` stories published this week (the first an hour after Monday began, each a
    minute later), each with a lead photo, a photo in its body, a quote and links."""
    home = factories.home(language)
    section = factories.SectionPageFactory(parent=home)
    author = factories.AuthorPageFactory(parent=factories.author_index(language))
    monday, _end = this_week(language).bounds()
    stories = []
    for number in range(1, count + 1):
        body = [
            (
                "paragraph",
                RichText(
                    f"<p>The first fact of {prefix.lower()} {number}, with "
                    '<a href="https://elsewhere.example/report">a report elsewhere</a>.</p>'
                ),
            ),
            ("subheading", "What happened next"),
            ("quote", {"text": "We keep going.", "speaker": "Ada Lind", "source": "editor"}),
            (
                "image",
                {
                    "image": factories.ImageFactory(title=f"Inside photo {number}"),
                    "caption": f"The court room, day {number}",
                    "credit": "Photo: Lantern staff",
                },
            ),
            ("paragraph", RichText("<p>The last paragraph &amp; its <i>last</i> word.</p>")),
        ]
        story = factories.ArticlePageFactory(
            parent=section,
            title=f"{prefix} number {number} of the week",
            slug=f"{prefix.lower()}-{number}-of-the-week",
            lead_image=factories.ImageFactory(title=f"Lead photo {number}"),
            lead_caption=f"Lead caption {number}",
            lead_credit="Photo: Lantern staff",
            authors=[author],
            body=body,
            published_at=min(
                monday + timedelta(hours=1, minutes=number), timezone.now() - timedelta(seconds=1)
            ),
        )
        stories.append(story)
    return stories


def signing_key(tmp_path: Path, settings: Any) -> bytes:
    """A newsroom signing key in settings; its public key (PEM)."""
    private, public = manifest.generate_key()
    key = tmp_path / "signing.pem"
    key.write_bytes(private)
    settings.BUNDLE_SIGNING_KEY = str(key)
    return public


def verifies(public_pem: bytes, data: bytes, signature: bytes) -> bool:
    key = load_pem_public_key(public_pem)
    assert isinstance(key, Ed25519PublicKey)
    try:
        key.verify(base64.b64decode(signature), data)
    except Exception:
        return False
    return True


def book_text(epub: bytes) -> str:
    """Every text file of a book, joined (to look for a story in it)."""
    with zipfile.ZipFile(io.BytesIO(epub)) as book:
        return "\n".join(
            book.read(name).decode()
            for name in book.namelist()
            if name.endswith((".xhtml", ".opf"))
        )
