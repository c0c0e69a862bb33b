"""A newsletter letter links its week's edition files, and carries one when the newsroom asks;
a sent newsletter makes its week's edition of the stories it picked."""

from __future__ import annotations

import email
import io
import zipfile
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from pytest_django.fixtures import Settings

from samizdat.core.signals import public_site_changed
from samizdat.editions import build, wagtail_hooks
from samizdat.newsletter import actions, sending
from samizdat.newsletter.actions import ensure_newsletter_pages
from samizdat.newsletter.models import Edition, EditionItem
from tests.editions.helpers import book_text, signing_key, this_week, week_stories
from tests.newsletter.conftest import make_subscribers
from tests.newsletter.smtp import SmtpServer

pytestmark = pytest.mark.django_db


def send(stories: list[Any], picked: list[int], readers: int = 2) -> Edition:
    edition = Edition.objects.create(language="en", subject="The week", intro="In brief.")
    for order, index in enumerate(picked):
        EditionItem.objects.create(edition=edition, article=stories[index], sort_order=order)
    make_subscribers(readers)
    assert actions.send_edition(edition_id=edition.pk) == readers
    sending.send_pending(edition_id=edition.pk, connections=1)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    return edition


def letters(server: SmtpServer) -> list[EmailMessage]:
    return [
        email.message_from_bytes(received.data, policy=default) for received in server.received()
    ]


@pytest.fixture
def stories(site_tree: Any, settings: Settings, tmp_path: Path) -> list[Any]:
    ensure_newsletter_pages()
    signing_key(tmp_path, settings)
    return week_stories(3)


def test_a_letter_links_the_week_s_files_and_carries_none_by_default(
    stories: list[Any], smtp_server: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[list[str] | None] = []

    def listen(sender: Any, paths: list[str] | None = None, **kwargs: Any) -> None:
        heard.append(paths)

    public_site_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            send(stories, picked=[2, 0])
    finally:
        public_site_changed.disconnect(listen)
    week = this_week()
    received = letters(smtp_server)
    assert len(received) == 2
    for letter in received:
        assert not list(letter.iter_attachments())
        html_part = letter.get_body(("html",))
        text_part = letter.get_body(("plain",))
        assert html_part is not None and text_part is not None
        assert f'href="http://testserver/en/editions/{week.slug}.html"' in html_part.get_content()
        assert f"http://testserver/en/editions/{week.slug}.epub" in text_part.get_content()
    # Sent, the edition is the week's: its files carry the stories it picked, in its order,
    # and the bundle is told to render them.
    made = build.files(week)
    assert [story.title for story in made.stories] == [stories[2].title, stories[0].title]
    assert stories[1].title not in made.html.decode()
    assert any(paths and week.path("html") in paths for paths in heard), heard


def test_a_letter_carries_the_week_s_book_when_asked(
    stories: list[Any], smtp_server: SmtpServer, settings: Settings
) -> None:
    settings.EDITION_ATTACH = "epub"
    send(stories, picked=[0, 1])
    week = this_week()
    for letter in letters(smtp_server):
        # The letter itself is still there, beside the file.
        body = letter.get_body(("html",))
        assert body is not None and "In brief." in body.get_content()
        (attachment,) = list(letter.iter_attachments())
        assert attachment.get_filename() == week.file_name("epub")
        assert attachment.get_content_type() == "application/epub+zip"
        data = attachment.get_content()
        assert isinstance(data, bytes)
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            assert book.namelist()[0] == "mimetype"
        text = book_text(data)
        assert stories[0].title in text and stories[1].title in text
        assert stories[2].title not in text


def test_a_file_too_large_for_a_letter_is_only_linked(
    stories: list[Any],
    smtp_server: SmtpServer,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.EDITION_ATTACH = "html"
    monkeypatch.setattr(wagtail_hooks, "ATTACH_LIMIT", 10_000)  # the week's file is larger
    send(stories, picked=[0], readers=1)
    (letter,) = letters(smtp_server)
    assert not list(letter.iter_attachments())
    body = letter.get_body(("plain",))
    assert body is not None and f"/en/editions/{this_week().slug}.html" in body.get_content()
    assert "more than a letter should carry" in caplog.text
