"""The letters as a real SMTP server received them, read back with the ``email`` package."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from samizdat.newsletter import actions, inbound, sending
from samizdat.newsletter.mail import bounce_address, render
from samizdat.newsletter.models import Edition, NewsletterFooter, NewsletterSettings, Subscriber
from tests.newsletter.conftest import STORY_TITLES, make_edition, make_subscribers
from tests.newsletter.smtp import Received, SmtpServer

SUBJECT = "«Фонарь»: главное за неделю — суд, цены и библиотека"
INTRO = "Здравствуйте! Вот что случилось за неделю."


class Links(HTMLParser):
    """Every tag, and every URL an ``href`` or ``src`` points at, with the link texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.anchors: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"href", "src", "background", "action"} and value is not None:
                self.urls.append(value)
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), ""

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.anchors.append((self._href, self._text.strip()))
            self._href = None


@dataclass
class Letter:
    received: Received
    message: EmailMessage
    text: str
    html: str
    links: Links

    @property
    def list_unsubscribe(self) -> list[str]:
        return re.findall(r"<([^>]+)>", str(self.message["List-Unsubscribe"]))

    @property
    def unsubscribe_url(self) -> str:
        return next(url for url in self.list_unsubscribe if url.startswith("http"))

    @property
    def unsubscribe_mailto(self) -> str:
        return next(url for url in self.list_unsubscribe if url.startswith("mailto:"))


def read(received: Received) -> Letter:
    message = received.parse()
    parts = {part.get_content_type(): part for part in message.iter_parts()}
    text, html = parts["text/plain"].get_content(), parts["text/html"].get_content()
    links = Links()
    links.feed(html)
    return Letter(received, message, text, html, links)


@pytest.fixture
def letters(
    newsletter_site: Any, smtp_server: SmtpServer
) -> tuple[Edition, list[Subscriber], dict[str, Letter]]:
    """A Russian edition with three stories, sent to four readers."""
    subscribers = make_subscribers(4, language="ru")
    make_subscribers(2, language="en", prefix="english")
    edition = make_edition(language="ru", subject=SUBJECT, intro=INTRO)
    actions.send_edition(edition_id=edition.pk)
    sending.send_pending(edition_id=edition.pk, connections=1)
    by_recipient = {}
    for received in smtp_server.received():
        (recipient,) = received.rcpt_tos
        by_recipient[recipient] = read(received)
    assert set(by_recipient) == {s.email for s in subscribers}
    return edition, subscribers, by_recipient


def test_headers(letters: Any) -> None:
    _edition, subscribers, by_recipient = letters
    display_name, from_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    now = timezone.now()
    message_ids = set()
    for recipient, letter in by_recipient.items():
        message = letter.message
        assert letter.received.mail_from == bounce_address()
        (sender,) = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == (display_name, from_address)
        (to,) = message["To"].addresses
        assert to.addr_spec == recipient
        assert message["Subject"] == SUBJECT
        assert abs(message["Date"].datetime - now) < timedelta(minutes=5)
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message["Message-ID"])
        message_ids.add(message["Message-ID"])
        assert re.fullmatch(r".*<weekly-ru\.[^<>\s]+>", message["List-Id"])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert len(letter.list_unsubscribe) == 2
        assert urlsplit(letter.unsubscribe_url).scheme in {"http", "https"}
        assert letter.unsubscribe_url.startswith(settings.SITE_URL + "/")
        assert parseaddr(letter.unsubscribe_mailto.removeprefix("mailto:").split("?")[0])[1]
    assert len(message_ids) == len(subscribers)


def test_the_raw_message_is_seven_bit_with_short_crlf_lines(letters: Any) -> None:
    _edition, _subscribers, by_recipient = letters
    for letter in by_recipient.values():
        raw = letter.received.data
        raw.decode("ascii")  # the Russian subject is RFC 2047-encoded, bodies base64
        lines = raw.split(b"\r\n")
        assert all(len(line) <= 998 for line in lines)
        assert b"\n" not in raw.replace(b"\r\n", b"")


def test_body_is_text_and_html_alternatives(letters: Any) -> None:
    _edition, _subscribers, by_recipient = letters
    for letter in by_recipient.values():
        message = letter.message
        assert message.get_content_type() == "multipart/alternative"
        types = [part.get_content_type() for part in message.iter_parts()]
        assert types == ["text/plain", "text/html"]
        assert all(part.get_content_charset() == "utf-8" for part in message.iter_parts())
        assert INTRO in letter.text and INTRO in letter.html
        assert not message.get_all("Content-Disposition")


def test_html_has_inlined_styles_and_every_story(letters: Any, client: Any) -> None:
    _edition, _subscribers, by_recipient = letters
    for letter in by_recipient.values():
        assert "<style" not in letter.html.lower()
        assert re.search(r'<div[^>]+style="[^"]*max-width', letter.html)
        assert re.search(r'<h2[^>]+style="', letter.html)
        story_links = {
            text: href for href, text in letter.links.anchors if text in STORY_TITLES["ru"]
        }
        assert set(story_links) == set(STORY_TITLES["ru"])
        for title, href in story_links.items():
            assert href in letter.text  # the plain text carries the same links
            assert title in letter.text
    # The links lead to the stories on the site.
    for title, href in story_links.items():
        response = client.get(urlsplit(href).path)
        assert response.status_code == 200
        assert title in response.content.decode()


def test_no_tracking_and_no_outside_resources(letters: Any, client: Any) -> None:
    """Every link is the site's own and works; nothing is loaded from anywhere (no pixels,
    no scripts, no remote images); no link carries anything that tells readers apart: the
    unsubscribe link's token (kept out of access logs) is the only query of a reader's own,
    and stories' links carry the marker of the newsletter, the same in every letter."""
    _edition, _subscribers, by_recipient = letters
    story_links = []
    for letter in by_recipient.values():
        assert not {"img", "script", "iframe", "link", "form"} & set(letter.links.tags)
        for url in letter.links.urls:
            assert url.startswith(settings.SITE_URL + "/"), url
            query = parse_qs(urlsplit(url).query)
            if url == letter.unsubscribe_url:
                assert set(query) == {"token"}, url
            elif query:
                assert query == {"via": ["newsletter"]}, url
                story_links.append(url)
            assert not urlsplit(url).fragment, url
        assert letter.unsubscribe_url in letter.links.urls
        assert letter.unsubscribe_url in letter.text
        assert not (set(re.findall(r"https?://\S+", letter.text)) - set(letter.links.urls))
    assert len(story_links) == len(by_recipient) * len(set(story_links))  # each letter alike
    for url in set(letter.links.urls):
        parts = urlsplit(url)
        assert client.get(f"{parts.path}?{parts.query}").status_code == 200, url


def test_each_unsubscribe_link_unsubscribes_its_reader_only(letters: Any, client: Any) -> None:
    _edition, subscribers, by_recipient = letters
    urls = {letter.unsubscribe_url for letter in by_recipient.values()}
    assert len(urls) == len(subscribers)
    leaving = subscribers[2]

    response = client.post(
        by_recipient[leaving.email].unsubscribe_url.removeprefix(settings.SITE_URL),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    statuses = dict(Subscriber.objects.values_list("email", "status"))
    assert statuses.pop(leaving.email) == Subscriber.Status.UNSUBSCRIBED
    assert set(statuses.values()) == {Subscriber.Status.ACTIVE}


def test_the_mailto_unsubscribe_works_too(letters: Any) -> None:
    """A mail client that only knows mailto: sends a letter to that address with that
    subject; the mail server pipes it to ``samizdat newsletter receive``."""
    _edition, subscribers, by_recipient = letters
    leaving = subscribers[0]
    mailto = urlsplit(by_recipient[leaving.email].unsubscribe_mailto)
    request = EmailMessage()
    request["From"] = leaving.email
    request["To"] = unquote(mailto.path)
    request["Subject"] = parse_qs(mailto.query)["subject"][0]
    request.set_content("")

    inbound.receive(request.as_bytes())

    statuses = dict(Subscriber.objects.values_list("email", "status"))
    assert statuses.pop(leaving.email) == Subscriber.Status.UNSUBSCRIBED
    assert set(statuses.values()) == {Subscriber.Status.ACTIVE}


def test_the_footer_is_written_per_language_or_left_out(db: Any) -> None:
    def footer_of(language: str) -> tuple[str, str]:
        letter = render(Edition(language=language, subject="The week"))
        return letter.html, letter.text

    html, text = footer_of("ru")  # nothing written: the catalogue's wording
    assert "Мы — независимая редакция" in html and "Мы — независимая редакция" in text
    setting = NewsletterSettings.load()
    NewsletterFooter.objects.create(setting=setting, language="en", text="Forward it to a friend.")
    NewsletterFooter.objects.create(setting=setting, language="ru", text="")
    html, text = footer_of("en")
    assert "Forward it to a friend." in html and "Forward it to a friend." in text
    assert "independent newsroom funded" not in html
    html, text = footer_of("ru")  # written empty: no footer at all
    assert "Мы — независимая редакция" not in html and "Мы — независимая редакция" not in text
