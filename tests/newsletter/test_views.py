"""The reader-facing newsletter pages through Django's test client: signup, confirm,
one-click unsubscribe, the proof-of-work puzzle and the archive."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import altcha
import feedparser
import pytest
from django.conf import settings
from django.core import mail, serializers, signing
from django.core.cache import caches
from django.test import Client
from django.utils import timezone, translation

from samizdat.newsletter import actions
from samizdat.newsletter.forms import consent_wording
from samizdat.newsletter.mail import CONFIRM_SALT, unsubscribe_token
from samizdat.newsletter.models import (
    Consent,
    Edition,
    EditionItem,
    Subscriber,
)
from samizdat.publishing.models import PrivacyPolicyPage
from tests.publishing.helpers import parse_html, resolve, text_of

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

ARTICLE = "/en/news/court-opens-trial/"
SUBSCRIBE = "/newsletter/subscribe/"
READER = "reader@example.org"
CONFIRM_LINK = re.compile(r"http://testserver(/newsletter/confirm/\?token=([\w-]+))\s")

Post = Callable[..., "ClientResponse"]


@pytest.fixture
def site(newsroom: dict[str, Any], settings: Any) -> dict[str, Any]:
    """The newsroom with its newsletter pages; one connection per send keeps the test's
    transaction visible to the sender."""
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_TASKS = 1
    actions.ensure_newsletter_pages()
    return newsroom


@pytest.fixture
def reader() -> Client:
    """A browser without any session or CSRF cookie, as on a static copy of the site."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def post(reader: Client, django_capture_on_commit_callbacks: Any) -> Iterator[Post]:
    """Post the signup form (with what a person would fill in) and run what the view queued
    once it commits (the confirmation mail)."""

    def send(
        path: str = SUBSCRIBE, headers: dict[str, str] | None = None, **fields: str
    ) -> ClientResponse:
        data = {
            "email": READER,
            "language": "en",
            "consent": "yes",
            "form": "article",
            "website": "",
            "altcha": "",
            **fields,
        }
        data = {key: value for key, value in data.items() if value is not None}
        with django_capture_on_commit_callbacks(execute=True):
            return reader.post(path, data, headers=headers or {})

    yield send


def confirm_path(message: mail.EmailMessage) -> str:
    found = CONFIRM_LINK.search(str(message.body))
    assert found, message.body
    return found.group(1)


def body(response: ClientResponse) -> str:
    return response.content.decode()


def signup_box(html: str) -> Any:
    form = parse_html(html).find(".//form[@class='signup']")
    assert form is not None, "no signup form on the page"
    return form


# The signup form on the site's pages -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "location"),
    [(ARTICLE, "article"), ("/en/", "home"), ("/en/newsletter/", "newsletter")],
)
def test_signup_form_is_on_the_page_with_a_link_to_the_privacy_policy(
    client: Client, site: dict[str, Any], path: str, location: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    form = signup_box(body(response))
    assert resolve(path, form.get("action")) == SUBSCRIBE
    assert form.get("method") == "post"
    names = {field.get("name") for field in form.iter("input")}
    assert {"email", "language", "consent", "form", "website", "altcha"} <= names
    hidden_location = form.find(".//input[@name='form']")
    assert hidden_location is not None and hidden_location.get("value") == location
    policy_links = [a for a in form.iter("a") if "privacy policy" in text_of(a)]
    assert policy_links, "the consent sentence links to the privacy policy"
    assert resolve(path, policy_links[0].get("href")) == "/en/privacy/"
    assert client.get("/en/privacy/").status_code == 200


# Signing up and confirming ---------------------------------------------------------------


def test_signup_records_consent_and_mails_a_confirmation_link(
    site: dict[str, Any], post: Post, reader: Client, django_capture_on_commit_callbacks: Any
) -> None:
    policy = PrivacyPolicyPage.objects.get(locale__language_code="en")
    policy.version = 3
    with django_capture_on_commit_callbacks(execute=True):
        policy.save_revision().publish()

    response = post(email="  Reader@Example.ORG ")
    assert response.status_code == 200
    assert "Check your inbox" in body(response)
    assert response["Cache-Control"] == "no-store"

    subscriber = Subscriber.objects.get()
    assert subscriber.email == READER
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.language == "en"
    consent = Consent.objects.get(subscriber=subscriber)
    assert consent.policy_version == 3
    assert consent.wording == consent_wording("en")
    assert "privacy policy" in consent.wording
    assert consent.form == "article"
    assert consent.language == "en"

    # Nothing about the reader's network is kept: not in the database, not in the cache.
    stored = serializers.serialize("json", [subscriber, consent])
    assert "127.0.0.1" not in stored
    cache_keys = " ".join(str(key) for key in caches["default"]._cache)  # type: ignore[attr-defined]  # LocMemCache's own dict
    assert "127.0.0.1" not in cache_keys
    assert READER not in cache_keys

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [READER]
    assert "Confirm your subscription" in message.subject
    link = confirm_path(message)

    page = reader.get(link)
    assert page.status_code == 200
    form = parse_html(body(page)).find(".//main//form")
    assert form is not None and form.get("method") == "post"
    assert form.find(".//button") is not None
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING, "opening the link confirms nobody"

    done = reader.post(link)
    assert done.status_code == 200
    assert "You are subscribed" in body(done)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None

    # The link is used up (the database never had the token, only its digest); a second
    # click says so and changes nothing.
    token = CONFIRM_LINK.search(str(message.body)).group(2)  # type: ignore[union-attr]
    assert token not in str(list(Subscriber.objects.values()))
    again = reader.post(link)
    assert again.status_code == 400 and "you are subscribed" in body(again)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_signup_in_russian_gets_the_letter_in_russian(site: dict[str, Any], post: Post) -> None:
    response = post(language="ru", form="home")
    assert response.status_code == 200
    assert '<html lang="ru"' in body(response)
    subscriber = Subscriber.objects.get()
    assert subscriber.language == "ru"
    consent = subscriber.consents.get()
    assert consent.language == "ru"
    assert consent.form == "home"
    assert consent.wording == consent_wording("ru")

    (message,) = mail.outbox
    with translation.override("ru"):
        expected = translation.gettext("Confirm your subscription to %(site)s") % {
            "site": settings.SITE_NAME
        }
    assert message.subject == expected
    confirm_path(message)


def test_an_expired_confirmation_link_changes_nothing(
    site: dict[str, Any], post: Post, reader: Client
) -> None:
    post()
    subscriber = Subscriber.objects.get()
    link = confirm_path(mail.outbox[0])
    Subscriber.objects.update(confirm_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    for response in (reader.get(link), reader.post(link)):
        assert response.status_code == 400
        assert "Sign up again" in body(response)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING

    forged = reader.post("/newsletter/confirm/?token=" + "A" * 43)
    assert forged.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING


def test_a_confirmation_link_of_the_old_form_works_until_it_expires(
    site: dict[str, Any], post: Post, reader: Client
) -> None:
    """Letters sent before the upgrade carry a signed id in the path."""
    post()
    subscriber = Subscriber.objects.get()

    class SignedLastMonth(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 30 * 86400)

    # What letters carried then: the first 16 hex digits of the address's plain SHA-256.
    value = f"{subscriber.pk}.{hashlib.sha256(READER.lower().encode()).hexdigest()[:16]}"
    expired = SignedLastMonth(salt=CONFIRM_SALT).sign(value)
    for response in (
        reader.get(f"/newsletter/confirm/{expired}/"),
        reader.post(f"/newsletter/confirm/{expired}/"),
    ):
        assert response.status_code == 400
        assert "Sign up again" in body(response)
    forged = reader.post(f"/newsletter/confirm/{subscriber.pk}.abc:def/")
    assert forged.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING

    recent = signing.TimestampSigner(salt=CONFIRM_SALT).sign(value)
    assert reader.post(f"/newsletter/confirm/{recent}/").status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE


def test_signing_up_again_when_subscribed_looks_the_same_and_mails_nothing(
    site: dict[str, Any], post: Post, reader: Client
) -> None:
    first = post()
    reader.post(confirm_path(mail.outbox[0]))
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE

    again = post()
    assert again.status_code == first.status_code == 200
    assert body(again) == body(first)
    assert len(mail.outbox) == 1
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE


def test_signing_up_again_while_pending_resends_up_to_three_letters_a_day(
    site: dict[str, Any], post: Post, reader: Client
) -> None:
    responses = [post() for _ in range(4)]
    assert [response.status_code for response in responses] == [200] * 4
    assert len({body(response) for response in responses}) == 1
    assert len(mail.outbox) == 3
    assert Subscriber.objects.count() == 1
    # The latest letter's link is the one that works.
    links = [confirm_path(message) for message in mail.outbox]
    assert [reader.get(link).status_code for link in links] == [400, 400, 200]


# Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not an address"}, "does not look like an email address"),
        ({"email": "a@b"}, "does not look like an email address"),
        ({"email": "x" * 288 + "@example.org"}, "at most 254 characters"),
        ({"email": "reader@example.org\r\nBcc: victim@example.org"}, "does not look like"),
        ({"email": ""}, "This field is required"),
        ({"consent": None}, "Tick the box to agree to the privacy policy"),
        ({"consent": "off"}, "Tick the box to agree to the privacy policy"),
        ({"consent": "0"}, "Tick the box to agree to the privacy policy"),
        ({"consent": "no"}, "Tick the box to agree to the privacy policy"),
        ({"consent": "false"}, "Tick the box to agree to the privacy policy"),
        ({"language": "de"}, "Choose the language of the letters"),
        ({"language": "en\r\nBcc: victim@example.org"}, "The form was sent with broken fields"),
        ({"form": "article\r\nX-Injected: 1"}, "The form was sent with broken fields"),
        ({"email": "пользователь@пример.рф"}, "letters other than a–z before the “@”"),
        ({"email": "üser@münchen.de"}, "letters other than a–z before the “@”"),
        ({"email": "ivan@exаmple.org"}, "mixes letters of different alphabets"),
        ({"email": "a\ufffd\ufffd@example.org"}, "This does not look like an email address"),
    ],
    ids=[
        "not-an-address",
        "no-dot-in-domain",
        "300-characters",
        "header-injection-in-email",
        "empty",
        "no-consent",
        "consent-off",
        "consent-0",
        "consent-no",
        "consent-false",
        "unknown-language",
        "header-injection-in-language",
        "header-injection-in-form",
        "cyrillic-local-part",
        "umlaut-local-part",
        "mixed-script-domain",
        "bytes-that-were-not-utf-8",
    ],
)
def test_bad_input_shows_the_form_again_with_what_was_typed(
    site: dict[str, Any], post: Post, fields: dict[str, str | None], message: str
) -> None:
    typed = {"email": "typed.reader@example.org", "language": "en", **fields}
    response = post(**typed)
    assert response.status_code == 400
    html = body(response)
    assert message in html
    assert response["Cache-Control"] == "no-store"

    form = signup_box(html)
    email = form.find(".//input[@name='email']")
    assert email is not None
    if "\r" not in str(typed["email"]) and len(str(typed["email"])) < 254:
        assert email.get("value") == typed["email"]
    if typed["language"] == "en":
        checked = [
            radio.get("value")
            for radio in form.iter("input")
            if radio.get("name") == "language" and radio.get("checked") is not None
        ]
        assert checked == ["en"]
    if fields.get("consent", "yes") == "yes":
        consent = form.find(".//input[@name='consent']")
        assert consent is not None and consent.get("checked") is not None

    assert not Subscriber.objects.exists()
    assert not Consent.objects.exists()
    assert mail.outbox == []


def test_an_internationalised_domain_is_written_to_in_the_form_every_server_delivers(
    site: dict[str, Any], post: Post
) -> None:
    response = post(email="Vera@Пример.рф")
    assert response.status_code == 200
    assert Subscriber.objects.get().email == "vera@xn--e1afmkfd.xn--p1ai"
    [letter] = mail.outbox
    assert letter.to == ["vera@xn--e1afmkfd.xn--p1ai"]


def test_bytes_that_are_not_utf_8_are_refused_not_stored(
    site: dict[str, Any], reader: Client
) -> None:
    body = b"email=a%FF%FE%40example.org&language=en&consent=yes&form=article&website="
    response = reader.post(SUBSCRIBE, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


def test_the_hidden_field_filled_in_looks_like_success_but_stores_nothing(
    site: dict[str, Any], post: Post
) -> None:
    response = post(website="http://spam.example/")
    assert response.status_code == 200
    assert "Check your inbox" in body(response)
    assert not Subscriber.objects.exists()
    assert mail.outbox == []


def test_too_many_signups_from_one_address_are_refused(
    site: dict[str, Any], post: Post, settings: Any
) -> None:
    settings.NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW = 2
    assert post(email="one@example.org").status_code == 200
    assert post(email="two@example.org").status_code == 200
    refused = post(email="three@example.org")
    assert refused.status_code == 429
    assert "Too many signups from your network" in body(refused)
    assert 'value="three@example.org"' in body(refused)
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == [
        "one@example.org",
        "two@example.org",
    ]


@pytest.mark.parametrize(
    ("origin", "status"),
    [("https://evil.example", 403), ("http://testserver.evil.example", 403),
     ("null", 403), ("http://testserver", 200), (None, 200)],
)  # fmt: skip
def test_posts_from_unknown_origins_are_refused(
    site: dict[str, Any], post: Post, origin: str | None, status: int
) -> None:
    response = post(headers={"Origin": origin} if origin else {})
    assert response.status_code == status
    assert Subscriber.objects.exists() == (status == 200)


# Proof of work ---------------------------------------------------------------------------


def solved(reader: Client) -> str:
    """Fetch a puzzle and solve it, as forms.js does in the browser."""
    response = reader.get("/newsletter/challenge/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    puzzle = response.json()
    assert set(puzzle) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    solution = altcha.solve_challenge_v1(
        puzzle["challenge"], puzzle["salt"], puzzle["algorithm"], puzzle["maxnumber"]
    )
    assert solution is not None
    payload = {
        "algorithm": puzzle["algorithm"],
        "challenge": puzzle["challenge"],
        "number": solution.number,
        "salt": puzzle["salt"],
        "signature": puzzle["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.fixture
def small_limits(settings: Any) -> None:
    settings.NEWSLETTER_POW_MAX_NUMBER = 2000
    settings.NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW = 1
    settings.NEWSLETTER_SIGNUPS_PER_HOUR = 4


def test_a_solved_puzzle_earns_the_higher_limit(
    site: dict[str, Any], post: Post, reader: Client, small_limits: None
) -> None:
    assert post(email="one@example.org").status_code == 200
    assert post(email="two@example.org").status_code == 429
    # Refused attempts count too: the third is the network's third of four allowed.
    assert post(email="three@example.org", altcha=solved(reader)).status_code == 200
    assert post(email="four@example.org", altcha=solved(reader)).status_code == 200
    assert post(email="five@example.org", altcha=solved(reader)).status_code == 429
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == [
        "four@example.org",
        "one@example.org",
        "three@example.org",
    ]


def test_with_no_signups_allowed_without_proof_of_work_only_a_solved_puzzle_passes(
    site: dict[str, Any], post: Post, reader: Client, small_limits: None, settings: Any
) -> None:
    settings.NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW = 0
    assert post(email="plain@example.org").status_code == 429
    assert post(email="solved@example.org", altcha=solved(reader)).status_code == 200
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["solved@example.org"]


def test_a_forged_or_replayed_puzzle_is_refused(
    site: dict[str, Any], post: Post, reader: Client, small_limits: None
) -> None:
    payload = solved(reader)
    fields = json.loads(base64.b64decode(payload))
    wrong_number = {**fields, "number": fields["number"] + 1}
    forged_signature = {**fields, "signature": "0" * len(fields["signature"])}
    for forged in (wrong_number, forged_signature):
        encoded = base64.b64encode(json.dumps(forged).encode()).decode()
        response = post(email="bot@example.org", altcha=encoded)
        assert response.status_code == 400
        assert "anti-spam check did not pass" in body(response)
    assert post(email="bot@example.org", altcha="bm90IGpzb24=").status_code == 400

    assert post(email="reader@example.org", altcha=payload).status_code == 200
    replay = post(email="bot@example.org", altcha=payload)
    assert replay.status_code == 400
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["reader@example.org"]


# Unsubscribing ---------------------------------------------------------------------------


@pytest.fixture
def subscribed(site: dict[str, Any]) -> Subscriber:
    subscriber = Subscriber.objects.create(
        email=READER, language="en", status=Subscriber.Status.ACTIVE
    )
    return subscriber


def test_unsubscribe_page_asks_before_it_acts(subscribed: Subscriber, reader: Client) -> None:
    path = f"/newsletter/unsubscribe/?token={unsubscribe_token(subscribed.pk)}"
    page = reader.get(path)
    assert page.status_code == 200
    form = parse_html(body(page)).find(".//main//form")
    assert form is not None and form.get("method") == "post"
    button = form.find(".//button")
    assert button is not None and text_of(button) == "Unsubscribe"
    subscribed.refresh_from_db()
    assert subscribed.status == Subscriber.Status.ACTIVE

    done = reader.post(path)
    assert done.status_code == 200
    assert "You are unsubscribed" in body(done)
    subscribed.refresh_from_db()
    assert subscribed.status == Subscriber.Status.UNSUBSCRIBED
    assert "You are unsubscribed" in body(reader.get(path))


def test_one_click_unsubscribe_from_a_mail_client(subscribed: Subscriber, reader: Client) -> None:
    """RFC 8058: the mail client posts ``List-Unsubscribe=One-Click``, with no Origin and no
    CSRF token."""
    response = reader.post(
        f"/newsletter/unsubscribe/?token={unsubscribe_token(subscribed.pk)}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.status == Subscriber.Status.UNSUBSCRIBED
    assert subscribed.unsubscribed_at is not None


def test_unsubscribe_links_of_letters_sent_before_work(
    subscribed: Subscriber, reader: Client
) -> None:
    """Letters sent before tokens moved to the query string carry it in the path."""
    response = reader.post(
        f"/newsletter/unsubscribe/{unsubscribe_token(subscribed.pk)}/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.status == Subscriber.Status.UNSUBSCRIBED


def test_a_tampered_unsubscribe_link_is_refused(subscribed: Subscriber, reader: Client) -> None:
    token = unsubscribe_token(subscribed.pk)
    other = Subscriber.objects.create(
        email="other@example.org", language="en", status=Subscriber.Status.ACTIVE
    )
    tampered = f"{other.pk}:{token.split(':', 1)[1]}"
    for response in (
        reader.get(f"/newsletter/unsubscribe/?token={tampered}"),
        reader.get(f"/newsletter/unsubscribe/{tampered}/"),
        reader.post(f"/newsletter/unsubscribe/?token={tampered}", data="List-Unsubscribe=One-Click",
                    content_type="application/x-www-form-urlencoded"),
    ):  # fmt: skip
        assert response.status_code == 400
        assert "This link is not valid" in body(response)
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}


# The archive -----------------------------------------------------------------------------


def make_edition(site: dict[str, Any], subject: str, language: str = "en") -> Edition:
    edition = Edition.objects.create(language=language, subject=subject, intro="This week.")
    EditionItem.objects.create(edition=edition, article=site["lead"], sort_order=0)
    return edition


def test_sent_editions_are_in_the_archive_and_its_feeds(
    site: dict[str, Any], client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    Subscriber.objects.create(email=READER, language="en", status=Subscriber.Status.ACTIVE)
    sent = make_edition(site, "The week in courts")
    draft = make_edition(site, "Not sent yet")
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.send_edition(edition_id=sent.pk) == 1
    sent.refresh_from_db()
    assert sent.status == Edition.Status.SENT
    assert len(mail.outbox) == 1

    index = client.get("/en/newsletter/")
    assert index.status_code == 200
    links = {
        text_of(a): resolve("/en/newsletter/", a.get("href", ""))
        for a in parse_html(body(index)).iterfind(".//section[@class='archive']//a")
    }
    assert links["The week in courts"] == f"/en/newsletter/{sent.pk}/"
    assert "Not sent yet" not in body(index)

    web = client.get(f"/en/newsletter/{sent.pk}/")
    assert web.status_code == 200
    assert "The week in courts" in body(web)
    assert "Court opens trial of reporter" in body(web)
    assert client.get(f"/en/newsletter/{draft.pk}/").status_code == 404
    assert client.get(f"/ru/newsletter/{sent.pk}/").status_code == 404

    for kind in ("rss", "atom"):
        response = client.get(f"/en/newsletter/feed/{kind}/")
        assert response.status_code == 200
        assert response["Content-Type"].startswith(f"application/{kind}+xml")
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        assert [entry.title for entry in feed.entries] == ["The week in courts"]
        assert feed.entries[0].link == f"http://testserver/en/newsletter/{sent.pk}/"
