"""Who may download a document: readers only once a live public story links it; staff always."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.documents import get_document_model
from wagtail.models import PageViewRestriction
from wagtail.rich_text import RichText

from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.logins import log_in
from tests.publishing.helpers import draft_article

pytestmark = pytest.mark.django_db


def attached(document: Any) -> list[tuple[str, Any]]:
    return [
        ("paragraph", RichText("<p>The ruling, in full.</p>")),
        ("document", {"document": document, "title": "", "description": ""}),
    ]


def addresses(document: Any) -> list[str]:
    """Where a reader could ask for the file: the address pages link, and Wagtail's own."""
    return [document.file.url, f"/documents/{document.pk}/{document.filename}"]


def status_codes(client: Client, document: Any) -> list[int]:
    return [client.get(address).status_code for address in addresses(document)]


def test_a_document_of_a_draft_is_not_reachable_until_the_story_is_published(
    client: Client, newsroom: dict[str, Any]
) -> None:
    leak = factories.pdf_document(title="Leaked ministry memo", name="memo.pdf")
    story = draft_article(newsroom["news"], title="The memo", slug="memo", body=attached(leak))
    assert status_codes(client, leak) == [404, 404]
    story.save_revision().publish()
    assert status_codes(client, leak) == [200, 200]
    response = client.get(leak.file.url)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert "Set-Cookie" not in response.headers
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    # A takedown takes the file away with the story.
    ArticlePage.objects.get(pk=story.pk).unpublish()
    assert status_codes(client, leak) == [404, 404]


def test_a_document_only_a_draft_revision_of_a_live_story_links_stays_hidden(
    client: Client, newsroom: dict[str, Any]
) -> None:
    leak = factories.pdf_document(title="Second memo", name="second-memo.pdf")
    story = ArticlePage.objects.get(pk=newsroom["lead"].pk)
    story.body = attached(leak)
    story.save_revision()  # saved, not published: readers still get the published version
    assert status_codes(client, leak) == [404, 404]
    assert "second-memo" not in client.get("/en/news/court-opens-trial/").content.decode()


def test_a_document_of_a_restricted_story_is_not_public(
    client: Client, newsroom: dict[str, Any]
) -> None:
    leak = factories.pdf_document(title="Members' briefing", name="briefing.pdf")
    story = factories.ArticlePageFactory(
        parent=newsroom["news"], title="Briefing", slug="briefing", body=attached(leak)
    )
    assert status_codes(client, leak) == [200, 200]
    PageViewRestriction.objects.create(
        page=story, restriction_type=PageViewRestriction.PASSWORD, password="friends"
    )
    assert status_codes(client, leak) == [404, 404]


def test_staff_signed_in_with_the_second_factor_get_any_document(
    client: Client, newsroom: dict[str, Any]
) -> None:
    leak = factories.pdf_document(title="Unpublished scan", name="scan.pdf")
    assert status_codes(client, leak) == [404, 404]
    editor = User.objects.create_superuser("chief", "chief@example.org", "pw")
    log_in(client, editor)
    assert status_codes(client, leak) == [200, 200]


def test_a_spreadsheet_is_downloaded_not_shown(client: Client, newsroom: dict[str, Any]) -> None:
    table = get_document_model()(title="Contracts")
    table.file = ContentFile(b"contract,amount\nroads,1200000\n", name="contracts.csv")
    table.save()
    factories.ArticlePageFactory(
        parent=newsroom["news"], title="Contracts", slug="contracts", body=attached(table)
    )
    response = client.get(table.file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith("attachment; filename=")


def test_other_addresses_and_methods_are_refused(client: Client, newsroom: dict[str, Any]) -> None:
    leak = factories.pdf_document(title="Public order", name="order.pdf")
    factories.ArticlePageFactory(
        parent=newsroom["news"], title="Order", slug="order", body=attached(leak)
    )
    assert client.post(leak.file.url).status_code == 405
    for path in (
        "/media/documents/no-such-file.pdf",
        "/media/documents/../original_images/photo.jpg",
        "/media/documents/%2e%2e/original_images/photo.jpg",
        f"/documents/{leak.pk}/other-name.pdf",
        "/media/original_images/photo.jpg",
    ):
        assert client.get(path).status_code == 404, path
