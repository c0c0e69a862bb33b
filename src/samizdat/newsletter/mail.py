"""Render an edition once, then turn it into each subscriber's message by changing bytes.

Building an ``EmailMessage`` per recipient costs about a millisecond; a newsletter of 100k
subscribers is rendered (and its CSS inlined) once, and per recipient only the ``To`` header,
``Message-ID``, ``Date`` and the unsubscribe link change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes

from samizdat.core import hooks
from samizdat.core.mail import site_domain
from samizdat.core.paths import absolute, public_path, roots_for
from samizdat.publishing.models import articles as live_articles

if TYPE_CHECKING:
    from samizdat.newsletter.models import Edition, NewsletterPage

UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/samizdat-placeholder/"
UNSUBSCRIBE_SALT = "samizdat.newsletter.unsubscribe"
CONFIRM_SALT = "samizdat.newsletter.confirm"


@dataclass(frozen=True)
class RenderedEdition:
    subject: str
    html: str
    text: str


def unsubscribe_token(subscriber_id: int) -> str:
    """Never expires: an unsubscribe link must work in a letter from years ago."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(subscriber_id))


class UnsubscribeSigner:
    """``unsubscribe_token`` for many subscribers at once: the same tokens, byte for byte.

    ``signing.Signer`` derives its HMAC key from the salt and ``SECRET_KEY`` on every call;
    here it is derived once per edition and only the HMAC of the id is computed per letter.
    """

    def __init__(self) -> None:
        signer = signing.Signer(salt=UNSUBSCRIBE_SALT)
        hasher = getattr(hashlib, signer.algorithm)
        key = hasher(force_bytes(signer.salt) + b"signer" + force_bytes(signer.key)).digest()
        self.mac = hmac.new(key, digestmod=hasher)
        self.sep = signer.sep

    def sign(self, subscriber_id: int) -> str:
        value = str(subscriber_id)
        mac = self.mac.copy()
        mac.update(value.encode())
        signature = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
        return f"{value}{self.sep}{signature}"


def subscriber_from_unsubscribe_token(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def unsubscribe_url(subscriber_id: int) -> str:
    """In the query string, like every link's token: access logs record paths only. (A
    signature's characters need no escaping there.)"""
    return f"{absolute(reverse('newsletter:unsubscribe'))}?token={unsubscribe_token(subscriber_id)}"


def read_confirm_token(token: str) -> tuple[int, str] | None:
    """A confirmation link of the old form (``/newsletter/confirm/<signed id>/``), mailed
    before links carried random tokens: (subscriber id, address digest prefix), or None when
    forged or expired (``NEWSLETTER_CONFIRM_DAYS`` after it was sent)."""
    try:
        value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign(
            token, max_age=settings.NEWSLETTER_CONFIRM_DAYS * 86400
        )
        subscriber_id, prefix = value.split(".", 1)
        return int(subscriber_id), prefix
    except (signing.BadSignature, ValueError):
        return None


def from_address() -> str:
    return str(settings.DEFAULT_FROM_EMAIL)


def bounce_address() -> str:
    return settings.NEWSLETTER_BOUNCE_ADDRESS or parseaddr(from_address())[1]


def unsubscribe_mailto(token: str) -> str:
    address = settings.NEWSLETTER_UNSUBSCRIBE_MAILTO or parseaddr(from_address())[1]
    return f"mailto:{address}?subject={quote('unsubscribe ' + token)}"


def list_id(language: str) -> str:
    name = f"{settings.SITE_NAME} ({language})"
    return f"{name} <weekly-{language}.{site_domain()}>"


def archive_path(edition: Edition) -> str | None:
    from samizdat.newsletter.models import NewsletterPage

    page = NewsletterPage.objects.live().filter(locale__language_code=edition.language).first()
    if page is None:
        return None
    base = public_path(page.url_path, roots_for(None))
    return f"{base}{edition.pk}/" if base else None


# What a letter's links to stories carry, so that the web server can count the reads that
# came from the newsletter: the same for every reader and every letter, so it tells nobody
# apart (nginx logs it only when it is exactly this; see mirrors/nginx.py).
READ_MARKER = "?via=newsletter"


def stories(edition: Edition) -> list[dict[str, Any]]:
    roots = roots_for(None)
    ids = list(edition.items.order_by("sort_order").values_list("article_id", flat=True))
    found = {
        row["pk"]: row
        for row in live_articles()
        .filter(pk__in=ids)
        .values("pk", "title", "standfirst", "url_path", "first_published_at")
    }
    result = []
    for pk in ids:
        row = found.get(pk)
        if row is None:  # unpublished since it was picked
            continue
        row["url"] = absolute(public_path(row["url_path"], roots) or "/") + READ_MARKER
        result.append(row)
    return result


def render(edition: Edition) -> RenderedEdition:
    """The edition as subscribers get it, with a placeholder where each unsubscribe link goes."""
    from samizdat.newsletter.models import NewsletterSettings

    with translation.override(edition.language):
        context = {
            "edition": edition,
            "stories": stories(edition),
            "footer": NewsletterSettings.load().footer(edition.language),
            "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
            "archive_url": absolute(path) if (path := archive_path(edition)) else None,
            "SITE_NAME": settings.SITE_NAME,
            "SITE_URL": settings.SITE_URL,
            "LANG": edition.language,
            "subscribe_address": settings.NEWSLETTER_SUBSCRIBE_ADDRESS,
        }
        html = render_to_string("newsletter/edition_mail.html", context)
        text = render_to_string("newsletter/edition_mail.txt", context)
    inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
    return RenderedEdition(subject=edition.subject, html=inliner.inline(html), text=text)


def preview_html(edition: Edition) -> str:
    return render(edition).html.replace(UNSUBSCRIBE_PLACEHOLDER, "#unsubscribe")


def _header(name: str, value: str) -> bytes:
    """One header line, RFC 2047-encoded when it is not plain ASCII."""
    value = " ".join(value.split())  # no line breaks: they would start a header of their own
    try:
        value.encode("ascii")
        encoded = value
    except UnicodeEncodeError:
        encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n".encode("ascii")


def _address_header(name: str, address: str) -> bytes:
    display, email = parseaddr(address)
    try:
        email.encode("ascii")
    except UnicodeEncodeError:
        # An internationalised address: sent as-is (SMTPUTF8); most servers accept it.
        return f"{name}: {address}\r\n".encode()
    if display:
        return _header(name, formataddr((display, email), charset="utf-8"))
    return f"{name}: {email}\r\n".encode("ascii")


def _base64_body(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


BASE64_LINE = 57  # input bytes per 76-character line of base64.encodebytes


class SplicedBody:
    """One MIME part in base64, with a per-recipient link spliced into it.

    Everything up to the last full base64 line before the link is encoded once per edition;
    per recipient only the rest is encoded.
    """

    def __init__(self, parts: list[str]) -> None:
        head = parts[0].encode("utf-8")
        cut = len(head) // BASE64_LINE * BASE64_LINE
        self.encoded_head = _base64_body(head[:cut])
        self.head_rest = head[cut:]
        self.tail = [part.encode("utf-8") for part in parts[1:]]

    def encode(self, link: str) -> bytes:
        return self.encoded_head + _base64_body(
            self.head_rest + link.encode("utf-8").join([b"", *self.tail])
        )


def _outer(boundary: str) -> str:
    """The boundary around the alternatives and the attachments: neither it nor the inner
    one starts the other."""
    return boundary.replace("=_samizdat_", "=_samizdat_mixed_")


class PreparedEdition:
    """An edition ready to go out: ``message_bytes`` makes one recipient's message."""

    def __init__(self, edition_id: int, language: str, rendered: RenderedEdition) -> None:
        self.edition_id = edition_id
        self.language = language
        self.rendered = rendered
        self.envelope_from = bounce_address()
        self.domain = site_domain()
        self.unsubscribe_base = absolute(reverse("newsletter:unsubscribe"))
        self.mailto = unsubscribe_mailto("").split("?", 1)[0]
        self.signer = UnsubscribeSigner()
        boundary = f"=_samizdat_{secrets.token_hex(12)}"
        # Files other apps attach to every letter (the week's edition as a book): encoded
        # once per edition.
        self.attachments = [
            attachment
            for attach in hooks.registered(hooks.LETTER_ATTACHMENTS)
            for attachment in attach(edition_id=edition_id, language=language)
        ]
        # Each template holds the link (tests check it); split around it.
        self.html_parts = rendered.html.split(UNSUBSCRIBE_PLACEHOLDER)
        self.text_parts = rendered.text.split(UNSUBSCRIBE_PLACEHOLDER)
        self.text_body = SplicedBody(self.text_parts)
        self.html_body = SplicedBody(self.html_parts)
        self.head = b"".join(
            [
                _address_header("From", from_address()),
                _header("Subject", rendered.subject),
                _header("List-Id", list_id(language)),
                b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
                b"MIME-Version: 1.0\r\n",
                self._content_type(boundary),
            ]
        )
        part_head = (
            f"--{boundary}\r\nContent-Type: text/%s; charset=utf-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
        )
        self.plain_head = (part_head % "plain").encode()
        self.html_head = (part_head % "html").encode()
        self.opening, self.closing = self._envelope(boundary)
        self._date = (0, "")

    def _content_type(self, boundary: str) -> bytes:
        if self.attachments:
            return f'Content-Type: multipart/mixed; boundary="{_outer(boundary)}"\r\n'.encode()
        return f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'.encode()

    def _envelope(self, boundary: str) -> tuple[bytes, bytes]:
        """What comes before the text part and after the HTML part: with attachments, the
        two alternatives sit inside a multipart/mixed with the files after them."""
        closing = f"--{boundary}--\r\n".encode()
        if not self.attachments:
            return b"", closing
        outer = _outer(boundary)
        opening = (
            f'--{outer}\r\nContent-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
        ).encode()
        files = b"".join(
            f"--{outer}\r\n".encode()
            + _header("Content-Type", f'{content_type}; name="{name}"')
            + f'Content-Disposition: attachment; filename="{name}"\r\n'.encode()
            + b"Content-Transfer-Encoding: base64\r\n\r\n"
            + _base64_body(data)
            for name, content_type, data in self.attachments
        )
        return opening, closing + files + f"--{outer}--\r\n".encode()

    def date(self) -> str:
        """The Date header's value, formatted once a second rather than once a letter."""
        second = int(time.time())
        if second != self._date[0]:
            self._date = (second, formatdate(second, usegmt=True))
        return self._date[1]

    def message_id(self, delivery_id: int) -> str:
        return f"<newsletter.{self.edition_id}.{delivery_id}@{self.domain}>"

    def unsubscribe(self, subscriber_id: int) -> tuple[str, str]:
        """(unsubscribe URL, List-Unsubscribe value) of one subscriber."""
        token = self.signer.sign(subscriber_id)
        url = f"{self.unsubscribe_base}?token={token}"
        mailto = f"{self.mailto}?subject={quote('unsubscribe ' + token)}"
        return url, f"<{url}>, <{mailto}>"

    def message_bytes(self, delivery_id: int, subscriber_id: int, email: str) -> bytes:
        url, header = self.unsubscribe(subscriber_id)
        to = (
            f"To: {email}\r\n".encode()
            if email.isascii() and not any(c in email for c in "<>,\r\n")
            else _address_header("To", email)
        )
        return b"".join(
            [
                self.head,
                to,
                f"Date: {self.date()}\r\n"
                f"Message-ID: {self.message_id(delivery_id)}\r\n"
                f"List-Unsubscribe: {header}\r\n\r\n".encode(),
                self.opening,
                self.plain_head,
                self.text_body.encode(url),
                self.html_head,
                self.html_body.encode(url),
                self.closing,
            ]
        )

    def email_message(
        self, delivery_id: int, subscriber_id: int, email: str, connection: Any = None
    ) -> EmailMultiAlternatives:
        """The same message as an ``EmailMessage``, for backends other than SMTP (ESPs, the
        outbox)."""
        url, header = self.unsubscribe(subscriber_id)
        html = url.join(self.html_parts)
        message = EmailMultiAlternatives(
            subject=self.rendered.subject,
            body=url.join(self.text_parts),
            from_email=from_address(),
            to=[email],
            headers={
                "Message-ID": self.message_id(delivery_id),
                "List-Id": list_id(self.language),
                "List-Unsubscribe": header,
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            connection=connection,
        )
        message.attach_alternative(html, "text/html")
        for name, content_type, data in self.attachments:
            message.attach(name, data, content_type)
        return message


def archive_feed(page: NewsletterPage, kind: str, request: HttpRequest) -> str:
    from samizdat.publishing.feeds import FEED_CLASSES

    base = public_path(page.url_path, roots_for(request)) or "/"
    feed = FEED_CLASSES[kind](
        title=f"{settings.SITE_NAME}: {page.title}",
        link=absolute(base),
        description=page.intro or page.title,
        language=page.locale.language_code,
        feed_url=absolute(f"{base}feed/{kind}/"),
    )
    for edition in page.sent_editions()[:30]:
        link = absolute(f"{base}{edition.pk}/")
        content = edition.frozen_html.replace(UNSUBSCRIBE_PLACEHOLDER, absolute(base))
        feed.add_item(
            title=edition.frozen_subject or edition.subject,
            link=link,
            description=edition.intro,
            content=content,
            pubdate=edition.finished_at or edition.started_at,
            unique_id=link,
            unique_id_is_permalink=True,
        )
    return str(feed.writeString("utf-8"))


def send_confirmation_mail(subscriber_id: int) -> bool:
    """Mail a pending subscriber their confirmation link, in their language."""
    from samizdat.newsletter.actions import issue_confirm_token
    from samizdat.newsletter.models import Subscriber

    token = issue_confirm_token(subscriber_id=subscriber_id)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if token is None or subscriber is None:
        return False
    with translation.override(subscriber.language):
        context = {
            "confirm_url": absolute(reverse("newsletter:confirm")) + "?token=" + token,
            "days": settings.NEWSLETTER_CONFIRM_DAYS,
            "SITE_NAME": settings.SITE_NAME,
            # Where the site is blocked, a reply to the newsletter's mailbox confirms too.
            "reply_line": f"confirm {token}" if settings.NEWSLETTER_SUBSCRIBE_ADDRESS else "",
        }
        body = render_to_string("newsletter/confirm_mail.txt", context)
        subject = translation.gettext("Confirm your subscription to %(site)s") % {
            "site": settings.SITE_NAME
        }
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=from_address(),
        to=[subscriber.email],
        reply_to=[settings.NEWSLETTER_SUBSCRIBE_ADDRESS] if context["reply_line"] else None,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.send()
    return True
