"""The newsletter's Wagtail admin through Django's test client, as a superuser (and as a
reporter, who must not see subscribers): subscribers, import, erasure, editions and their
send page, suppressed addresses and the local outbox."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from samizdat.newsletter import actions
from samizdat.newsletter.models import (
    Consent,
    Delivery,
    Edition,
    EditionItem,
    ErasedConsentCount,
    Subscriber,
    Suppression,
    email_hash,
)
from tests.logins import log_in
from tests.newsletter.conftest import make_edition, make_stories

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

SUBSCRIBERS = "/admin/newsletter/subscribers/"
SUPPRESSIONS = "/admin/newsletter/suppressions/"
OUTBOX = "/admin/newsletter/outbox/"
EDITIONS = "/admin/snippets/newsletter/edition/"

OnCommit = Callable[..., Any]


def subscriber(
    email: str, language: str = "en", status: str = "active", **extra: Any
) -> Subscriber:
    confirmed = timezone.now() if status == "active" else None
    return Subscriber.objects.create(
        email=email, language=language, status=status, confirmed_at=confirmed, **extra
    )


def emails_in(response: ClientResponse) -> set[str]:
    return set(re.findall(r"[\w.+=-]+@example\.(?:org|net)", response.content.decode()))


def flash(response: ClientResponse) -> list[str]:
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def reporter_client() -> Client:
    user = User.objects.create_user("reporter", "reporter@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Reporters"))
    client = Client()
    log_in(client, user)
    return client


# Subscribers ---------------------------------------------------------------------------


@pytest.fixture
def readers() -> dict[str, Subscriber]:
    return {
        "anna": subscriber("anna@example.org", "en", "active"),
        "boris": subscriber("boris@example.org", "ru", "pending"),
        "carla": subscriber("carla@example.net", "en", "unsubscribed"),
    }


def test_subscriber_list_searches_by_address_and_filters_by_status_and_language(
    admin_client: Client, readers: dict[str, Subscriber]
) -> None:
    response = admin_client.get(SUBSCRIBERS)
    assert response.status_code == 200
    html = response.content.decode()
    table = html[html.index('<table class="listing">') :]
    thead = table[: table.index("</thead>")]
    headings = [text.strip() for text in re.findall(r"<a [^>]*>([^<]+)</a>", thead)]
    # Addresses are encrypted: the list is not sorted by them, only searched by a whole one.
    assert headings == ["Language", "Status", "Signed up", "Confirmed"]
    assert "Email" in thead
    assert emails_in(response) == {"anna@example.org", "boris@example.org", "carla@example.net"}
    assert "Import CSV" in html and "Download CSV" in html

    assert emails_in(admin_client.get(SUBSCRIBERS, {"q": "CARLA@EXAMPLE.NET"})) == {
        "carla@example.net"
    }
    assert emails_in(admin_client.get(SUBSCRIBERS, {"q": "example.net"})) == set()
    assert admin_client.get(SUBSCRIBERS, {"ordering": "email"}).status_code == 200
    assert emails_in(admin_client.get(SUBSCRIBERS, {"status": "active"})) == {"anna@example.org"}
    assert emails_in(admin_client.get(SUBSCRIBERS, {"language": "ru"})) == {"boris@example.org"}


def test_csv_export_lists_the_filtered_subscribers_in_importable_columns(
    admin_client: Client, readers: dict[str, Subscriber]
) -> None:
    subscriber("dora@example.org", "en", "active", source='=HYPERLINK("http://evil.example")')

    response = admin_client.get(SUBSCRIBERS, {"export": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="subscribers.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response: the stubs type the client's without streaming_content
    assert rows[0] == ["email", "language", "status", "signed_up", "confirmed", "source"]
    by_email = {row[0]: row for row in rows[1:]}
    assert set(by_email) == {
        "anna@example.org", "boris@example.org", "carla@example.net", "dora@example.org",
    }  # fmt: skip
    assert by_email["boris@example.org"][1:3] == ["ru", "pending"]
    assert by_email["boris@example.org"][4] == ""
    assert by_email["anna@example.org"][3] == readers["anna"].created_at.isoformat()
    # A spreadsheet would run a cell starting with "=" as a formula.
    assert by_email["dora@example.org"][5] == '\'=HYPERLINK("http://evil.example")'

    active = admin_client.get(SUBSCRIBERS, {"export": "csv", "status": "active"})
    rows = list(csv.reader(io.StringIO(b"".join(active.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response: the stubs type the client's without streaming_content
    assert {row[0] for row in rows[1:]} == {"anna@example.org", "dora@example.org"}


def upload(text: str | bytes, name: str = "list.csv") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_import_of_people_who_consented_before_makes_them_active_without_mail(
    admin_client: Client, django_capture_on_commit_callbacks: OnCommit
) -> None:
    csv_text = "\ufeffEmail,Language\nivan@example.org,ru\nJane@Example.org,\nnot-an-address,en\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"{SUBSCRIBERS}import/",
            {
                "file": upload(csv_text),
                "source": "Old list, exported 2024-03-01",
                "previously_consented": "on",
                "default_language": "en",
            },
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong data-count="created">2</strong>' in html
    assert '<strong data-count="errors">1</strong>' in html
    assert "Line 4:" in html

    ivan = Subscriber.objects.get(email="ivan@example.org")
    jane = Subscriber.objects.get(email="jane@example.org")
    assert (ivan.status, ivan.language) == ("active", "ru")
    assert (jane.status, jane.language) == ("active", "en")
    consent = Consent.objects.get(subscriber=jane)
    assert consent.form == "import" and "Old list, exported 2024-03-01" in consent.wording
    assert mail.outbox == []


@pytest.mark.parametrize("unticked", [None, "off", "0", "no"])
def test_import_without_earlier_consent_asks_each_new_address_to_confirm(
    admin_client: Client, django_capture_on_commit_callbacks: OnCommit, unticked: str | None
) -> None:
    subscriber("already@example.org", "en", "active")
    csv_text = "email\nnew@example.org\nalready@example.org\n"
    fields = {"file": upload(csv_text), "source": "Event sign-up sheet", "default_language": "en"}
    if unticked is not None:  # only a ticked box says they consented before
        fields["previously_consented"] = unticked
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{SUBSCRIBERS}import/", fields)
    html = response.content.decode()
    assert '<strong data-count="created">1</strong>' in html
    assert '<strong data-count="skipped">1</strong>' in html
    assert Subscriber.objects.get(email="new@example.org").status == "pending"
    assert [message.to for message in mail.outbox] == [["new@example.org"]]
    assert "/newsletter/confirm/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("email\nx@example.org\n".encode("utf-16"), "not UTF-8 text"),
        (b"email\n" + b"a" * (5 * 1024 * 1024), "larger than 5 MB"),
    ],
)
def test_import_of_a_bad_file_is_a_form_error(
    admin_client: Client, content: bytes, message: str
) -> None:
    response = admin_client.post(
        f"{SUBSCRIBERS}import/",
        {"file": upload(content), "source": "somewhere", "default_language": "en"},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subscriber.objects.exists()


def test_import_of_a_file_without_an_email_column_reports_it(admin_client: Client) -> None:
    response = admin_client.post(
        f"{SUBSCRIBERS}import/",
        {"file": upload("name\nIvan\n"), "source": "somewhere", "default_language": "en"},
    )
    assert response.status_code == 200
    assert "needs a header row" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_subscriber_page_shows_the_consent_history_read_only(admin_client: Client) -> None:
    anna = subscriber("anna@example.org")
    Consent.objects.create(
        subscriber=anna, policy_version=3, wording="Send me the weekly newsletter.",
        form="article", language="en",
    )  # fmt: skip
    response = admin_client.get(f"{SUBSCRIBERS}inspect/{anna.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    history = html[html.index('id="consent-history"') :]
    assert "Send me the weekly newsletter." in history
    assert "<td>article</td>" in history and "<td>3</td>" in history and "English" in history
    assert "<form" not in history


def test_staff_edit_language_but_never_the_address_or_its_digest(admin_client: Client) -> None:
    anna = subscriber("anna@example.org")
    edit = f"{SUBSCRIBERS}edit/{anna.pk}/"
    html = admin_client.get(edit).content.decode()
    assert 'name="language"' in html
    assert 'name="email_hash"' not in html and 'name="email"' not in html

    response = admin_client.post(
        edit, {"language": "ru", "source": "x", "email": "evil@example.org", "email_hash": "0"}
    )
    assert response.status_code == 302
    anna.refresh_from_db()
    assert (anna.language, anna.email) == ("ru", "anna@example.org")
    assert anna.email_hash == email_hash("anna@example.org")


def test_erasing_a_subscriber_deletes_them_and_keeps_only_a_count_of_consents(
    admin_client: Client,
) -> None:
    anna = subscriber("anna@example.org")
    for form in ("article", "home"):
        Consent.objects.create(
            subscriber=anna, policy_version=2, wording="Yes.", form=form, language="en"
        )
    # Their record was edited in the admin once: the history line names the address.
    admin_client.post(f"{SUBSCRIBERS}edit/{anna.pk}/", {"language": "en", "source": "web"})
    assert ModelLogEntry.objects.filter(label="anna@example.org").exists()
    delete = f"{SUBSCRIBERS}delete/{anna.pk}/"

    page = admin_client.get(delete).content.decode()
    assert "cannot be undone" in page and "Yes, erase permanently" in page

    response = admin_client.post(delete)
    assert response.status_code == 302
    assert "The subscriber was erased." in flash(response)
    assert not Subscriber.objects.filter(email="anna@example.org").exists()
    assert not Consent.objects.exists()
    assert sum(ErasedConsentCount.objects.values_list("count", flat=True)) == 2
    assert not any(
        "anna@example.org" in label
        for label in ModelLogEntry.objects.values_list("label", flat=True)
    )
    assert "anna@example.org" not in admin_client.get(SUBSCRIBERS).content.decode()


def test_unsubscribe_button_keeps_the_record(admin_client: Client) -> None:
    anna = subscriber("anna@example.org")
    response = admin_client.post(f"{SUBSCRIBERS}unsubscribe/{anna.pk}/")
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.status == "unsubscribed" and anna.unsubscribed_at is not None


def test_reporters_see_no_subscribers_anywhere(
    readers: dict[str, Subscriber], settings: Any
) -> None:
    settings.EMAIL_BACKEND = "samizdat.newsletter.outbox.OutboxBackend"
    client = reporter_client()
    home = client.get("/admin/").content.decode()
    assert SUBSCRIBERS not in home and OUTBOX not in home
    for url in (
        SUBSCRIBERS,
        f"{SUBSCRIBERS}?export=csv",
        f"{SUBSCRIBERS}inspect/{readers['anna'].pk}/",
        f"{SUBSCRIBERS}import/",
        f"{SUBSCRIBERS}delete/{readers['anna'].pk}/",
        OUTBOX,
        SUPPRESSIONS,
    ):
        response = client.get(url)
        # Wagtail answers "permission denied" by sending staff back to the dashboard.
        assert (response.status_code, response["Location"]) == (302, "/admin/"), url
    response = client.post(f"{SUBSCRIBERS}delete/{readers['anna'].pk}/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert Subscriber.objects.filter(pk=readers["anna"].pk).exists()


# Editions ------------------------------------------------------------------------------


@pytest.fixture
def edition(site_tree: Any, settings: Any) -> Edition:
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_TASKS = 1
    edition = make_edition(stories=2, subject="The Lantern weekly")
    edition.send_at = timezone.now() + timedelta(days=2)
    edition.save()
    return edition


def send_page(edition: Edition) -> str:
    return f"{EDITIONS}send/{edition.pk}/"


def test_edition_listing_links_each_row_to_its_send_page(
    admin_client: Client, edition: Edition
) -> None:
    html = admin_client.get(EDITIONS).content.decode()
    row = html[html.index(f'id="snippet_{edition.pk}_title"') :]
    assert row.startswith(f'id="snippet_{edition.pk}_title">The Lantern weekly<')
    assert send_page(edition) in row and re.search(r"<td[^>]*>\s*draft\s*</td>", row)
    edit = admin_client.get(f"{EDITIONS}edit/{edition.pk}/").content.decode()
    assert send_page(edition) in edit


ICON_IN_BUTTON = re.compile(
    r'<(?:a|button)[^>]* class="button[^"]*"[^>]*>\s*<svg class="([^"]*)"[^>]*>\s*<use href="#icon-([\w-]+)"'
)


def test_icons_in_our_buttons_are_sized_like_wagtails(
    admin_client: Client, edition: Edition
) -> None:
    """An icon without Wagtail's size classes is drawn 300×150 px over the button's label."""
    pages = [
        admin_client.get(send_page(edition)).content.decode(),
        admin_client.get(f"{SUBSCRIBERS}import/").content.decode(),
    ]
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT)
    pages.append(admin_client.get(send_page(edition)).content.decode())
    icons = [icon for html in pages for icon in ICON_IN_BUTTON.findall(html)]
    assert {name for _classes, name in icons} >= {"edit", "mail", "rotate", "upload"}
    for classes, name in icons:
        assert {"w-w-4", "w-h-4"} <= set(classes.split()), (name, classes)


def test_send_page_sends_a_test_and_refuses_a_bad_address(
    admin_client: Client, edition: Edition
) -> None:
    page = admin_client.get(send_page(edition))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Court opens trial of reporter" in html  # the letter, in its preview frame

    response = admin_client.post(send_page(edition), {"action": "test", "to": "editor@example.org"})
    assert response.status_code == 302
    assert [message.subject for message in mail.outbox] == ["[TEST] The Lantern weekly"]
    assert mail.outbox[0].to == ["editor@example.org"]

    response = admin_client.post(send_page(edition), {"action": "test", "to": "not an address"})
    assert response.status_code == 200
    assert "This is not an address we can write to" in response.content.decode()
    assert len(mail.outbox) == 1


def test_send_page_schedules_and_unschedules(admin_client: Client, edition: Edition) -> None:
    response = admin_client.post(send_page(edition), {"action": "schedule"})
    assert response.status_code == 302
    edition.refresh_from_db()
    assert edition.status == "scheduled"
    assert "Unschedule" in admin_client.get(send_page(edition)).content.decode()

    admin_client.post(send_page(edition), {"action": "unschedule"})
    edition.refresh_from_db()
    assert edition.status == "draft"

    Edition.objects.filter(pk=edition.pk).update(send_at=timezone.now() - timedelta(hours=1))
    response = admin_client.post(send_page(edition), {"action": "schedule"})
    assert "The send time is in the past" in " ".join(flash(response))
    edition.refresh_from_db()
    assert edition.status == "draft"


def test_send_page_fills_an_empty_edition_with_this_weeks_stories(
    admin_client: Client, site_tree: Any
) -> None:
    stories = make_stories("en", 2)
    empty = Edition.objects.create(language="en", subject="Empty")
    response = admin_client.post(send_page(empty), {"action": "fill"})
    assert "2 stories of this week added." in flash(response)
    assert set(EditionItem.objects.filter(edition=empty).values_list("article_id", flat=True)) == {
        story.pk for story in stories
    }


def test_send_now_asks_first_then_freezes_the_audience_and_sends(
    admin_client: Client, edition: Edition, django_capture_on_commit_callbacks: OnCommit
) -> None:
    subscriber("anna@example.org", "en", "active")
    subscriber("dora@example.org", "en", "active")
    subscriber("boris@example.org", "ru", "active")
    subscriber("pending@example.org", "en", "pending")

    confirm = admin_client.get(send_page(edition), {"confirm": "send"}).content.decode()
    assert "now to 2 subscribers in English" in confirm and "Yes, send now" in confirm
    assert not Delivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(send_page(edition), {"action": "send"})
    assert response.status_code == 302
    assert set(Delivery.objects.filter(edition=edition).values_list("email", flat=True)) == {
        "anna@example.org", "dora@example.org",
    }  # fmt: skip
    assert sorted(message.to[0] for message in mail.outbox) == [
        "anna@example.org",
        "dora@example.org",
    ]
    edition.refresh_from_db()
    assert edition.status == "sent"

    html = admin_client.get(send_page(edition)).content.decode()
    counts = html[html.index('id="delivery-counts"') :]
    assert re.search(r"Sent</th><td>2</td>", counts)
    assert "Yes, send now" not in html and "Send now" not in html


def test_an_edition_that_went_out_cannot_be_edited(admin_client: Client, edition: Edition) -> None:
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENT)
    response = admin_client.get(f"{EDITIONS}edit/{edition.pk}/")
    assert response.status_code == 302 and response["Location"] == send_page(edition)
    assert "can no longer be changed" in " ".join(flash(response))
    response = admin_client.post(f"{EDITIONS}edit/{edition.pk}/", {"subject": "Changed"})
    assert response.status_code == 302
    edition.refresh_from_db()
    assert edition.subject == "The Lantern weekly"


def test_an_edition_being_sent_cannot_be_deleted(admin_client: Client, edition: Edition) -> None:
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENDING)
    response = admin_client.post(f"{EDITIONS}delete/{edition.pk}/")
    assert response.status_code == 302 and response["Location"] == send_page(edition)
    assert "is being sent right now" in " ".join(flash(response))
    assert Edition.objects.filter(pk=edition.pk).exists()

    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.DRAFT)
    assert admin_client.post(f"{EDITIONS}delete/{edition.pk}/").status_code == 302
    assert not Edition.objects.filter(pk=edition.pk).exists()


def test_edit_view_previews_the_mail_as_typed(admin_client: Client, edition: Edition) -> None:
    article = EditionItem.objects.filter(edition=edition).order_by("sort_order")[0].article
    preview = f"{EDITIONS}preview/{edition.pk}/"
    form = nested_form_data(
        {
            "language": "en",
            "subject": "Unsaved subject",
            "intro": "An intro typed a moment ago.",
            "closing": "",
            "send_at": "",
            "items": inline_formset([{"article": str(article.pk)}], min=1),
        }
    )
    assert admin_client.post(preview, form).json() == {"is_valid": True, "is_available": True}
    html = admin_client.get(preview).content.decode()
    assert "An intro typed a moment ago." in html
    assert article.title in html
    edition.refresh_from_db()
    assert edition.intro == "This week in brief."


# Suppressed addresses ------------------------------------------------------------------


def test_staff_add_a_suppressed_address_which_is_stored_only_as_a_digest(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        f"{SUPPRESSIONS}new/", {"email": " Reader@Example.org ", "detail": "asked by phone"}
    )
    assert response.status_code == 302
    row = Suppression.objects.get()
    assert row.email_hash == email_hash("reader@example.org")
    assert (row.reason, row.detail) == ("manual", "asked by phone")

    html = admin_client.get(SUPPRESSIONS).content.decode()
    assert "asked by phone" in html and "added by staff" in html
    assert "reader@example.org" not in html.lower()

    response = admin_client.post(f"{SUPPRESSIONS}new/", {"email": "nobody", "detail": ""})
    assert response.status_code == 200
    assert "This is not an email address" in response.content.decode()
    assert Suppression.objects.count() == 1


# Outbox --------------------------------------------------------------------------------


@pytest.fixture
def outbox_dir(settings: Any, tmp_path: Path) -> Path:
    settings.EMAIL_BACKEND = "samizdat.newsletter.outbox.OutboxBackend"
    settings.EMAIL_OUTBOX_DIR = tmp_path
    return tmp_path


def test_outbox_lists_and_shows_messages_the_outbox_backend_wrote(
    admin_client: Client, outbox_dir: Path
) -> None:
    from django.core.mail import EmailMultiAlternatives, send_mail

    send_mail("Plain hello", "Just text.", "news@example.com", ["anna@example.org"])
    letter = EmailMultiAlternatives(
        'Weekly "quotes" & more', "Text part.", "news@example.com", ["boris@example.org"]
    )
    letter.attach_alternative(
        '<p class="x">Hello <b>HTML</b></p><script>alert(1)</script>', "text/html"
    )
    letter.send()
    names = sorted(path.name for path in outbox_dir.glob("*.eml"))
    assert len(names) == 2

    assert OUTBOX in admin_client.get("/admin/").content.decode()
    listing = admin_client.get(OUTBOX).content.decode()
    assert "Plain hello" in listing and "Weekly &quot;quotes&quot; &amp; more" in listing
    assert "anna@example.org" in listing and "boris@example.org" in listing

    pages = [admin_client.get(f"{OUTBOX}{name}/").content.decode() for name in names]
    html_page = next(page for page in pages if "<iframe" in page)
    assert "Text part." in html_page and "news@example.com" in html_page
    frame = re.search(r"<iframe sandbox[^>]*srcdoc=\"([^\"]*)\"", html_page)
    assert frame is not None
    assert "&lt;p class=&quot;x&quot;&gt;Hello &lt;b&gt;HTML&lt;/b&gt;" in frame.group(1)
    assert "<script>alert(1)</script>" not in html_page
    plain_page = next(page for page in pages if "Plain hello" in page)
    assert "Just text." in plain_page and "<iframe" not in plain_page

    assert admin_client.get(f"{OUTBOX}nothing-here.eml/").status_code == 404
    assert admin_client.get(f"{OUTBOX}20200101T000000-{'0' * 32}.eml/").status_code == 404
    assert admin_client.get(f"{OUTBOX}..%2F..%2Fetc%2Fpasswd/").status_code == 404


def test_outbox_menu_item_appears_only_when_mail_goes_to_the_outbox(
    admin_client: Client, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    home = admin_client.get("/admin/").content.decode()
    assert OUTBOX not in home and SUBSCRIBERS in home and EDITIONS in home


def test_editors_may_build_and_send_editions_but_not_see_subscribers(db: Any) -> None:
    editor = User.objects.create_user("ed", password="x")
    editor.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    log_in(client, editor)
    assert client.get("/admin/snippets/newsletter/edition/").status_code == 200
    assert client.get("/admin/snippets/newsletter/edition/add/").status_code == 200
    assert client.get("/admin/newsletter/subscribers/").status_code in {302, 403}


def editor_client(username: str = "ed") -> Client:
    editor = User.objects.create_user(
        username, f"{username}@example.com", "x", is_staff=True, first_name="Edna"
    )
    editor.groups.add(Group.objects.get(name="Editors"))
    client = Client()
    log_in(client, editor)
    return client


def test_editors_read_their_tests_in_the_outbox_but_never_readers_mail(
    outbox_dir: Path, edition: Edition
) -> None:
    from django.core.mail import send_mail

    send_mail("Confirm your subscription", "Click.", "news@example.com", ["anna@example.org"])
    (readers_mail,) = [path.name for path in outbox_dir.glob("*.eml")]

    editor = editor_client()
    response = editor.post(send_page(edition), {"action": "test", "to": "edna@example.com"})
    assert response.status_code == 302
    (test_letter,) = {path.name for path in outbox_dir.glob("*.eml")} - {readers_mail}

    assert OUTBOX in editor.get("/admin/").content.decode()
    listing = editor.get(OUTBOX)
    assert listing.status_code == 200
    assert "[TEST] The Lantern weekly" in listing.content.decode()
    assert "anna@example.org" not in listing.content.decode()
    assert "Confirm your subscription" not in listing.content.decode()
    assert "Court opens trial" in editor.get(f"{OUTBOX}{test_letter}/").content.decode()
    assert editor.get(f"{OUTBOX}{readers_mail}/").status_code == 404

    admin = User.objects.create_superuser("root", "root@example.com", "x")
    manager = Client()
    log_in(manager, admin)
    everything = manager.get(OUTBOX).content.decode()
    assert "Confirm your subscription" in everything and "[TEST] The Lantern weekly" in everything
    assert "Click." in manager.get(f"{OUTBOX}{readers_mail}/").content.decode()

    reporter = reporter_client()
    assert OUTBOX not in reporter.get("/admin/").content.decode()
    for url in (OUTBOX, f"{OUTBOX}{test_letter}/", f"{OUTBOX}{readers_mail}/"):
        response = reporter.get(url)
        assert (response.status_code, response["Location"]) == (302, "/admin/"), url


SITE_HISTORY = "/admin/reports/site-history/"


def history_of(client: Client, edition: Edition) -> str:
    response = client.get(f"{EDITIONS}history/{edition.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_tests_and_sends_are_in_the_history_with_who_and_how_many_never_whom(
    edition: Edition, django_capture_on_commit_callbacks: OnCommit
) -> None:
    subscriber("anna@example.org", "en", "active")
    subscriber("dora@example.org", "en", "active")
    subscriber("ivan@example.org", "en", "active")
    client = editor_client()

    response = client.post(
        send_page(edition), {"action": "test", "to": "desk@example.org, chief@example.org"}
    )
    assert response.status_code == 302
    assert sorted(message.to[0] for message in mail.outbox) == [
        "chief@example.org",
        "desk@example.org",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(send_page(edition), {"action": "send"})
    assert len(mail.outbox) == 5

    entries = ModelLogEntry.objects.filter(object_id=str(edition.pk)).order_by("timestamp", "pk")
    test, send = entries.filter(action__startswith="newsletter.")
    assert (test.action, test.user.username, test.data) == (
        "newsletter.test_send", "ed", {"recipients": 2},
    )  # fmt: skip
    assert (send.action, send.user.username, send.data) == (
        "newsletter.send", "ed", {"letters": 3},
    )  # fmt: skip

    client.get(send_page(edition))  # shows (and so clears) the editor's own flash messages
    for html in (client.get(SITE_HISTORY).content.decode(), history_of(client, edition)):
        assert "Test sent to 2 addresses" in html
        assert "Sending started: 3 letters" in html
        assert "Edna" in html
        assert "@example.org" not in html
    # The report's filter offers the actions by name.
    assert "Send a test of the newsletter" in client.get(SITE_HISTORY).content.decode()


def test_schedule_unschedule_fill_and_a_scheduled_start_are_in_the_history(
    edition: Edition, django_capture_on_commit_callbacks: OnCommit
) -> None:
    client = editor_client()
    make_stories("en", 2)
    client.post(send_page(edition), {"action": "fill"})
    client.post(send_page(edition), {"action": "schedule"})
    client.post(send_page(edition), {"action": "unschedule"})
    client.post(send_page(edition), {"action": "test", "to": "desk@example.org"})
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SCHEDULED, send_at=timezone.now() - timedelta(minutes=1)
    )
    subscriber("anna@example.org", "en", "active")
    with django_capture_on_commit_callbacks(execute=True):
        actions.run_schedule(now=timezone.now())

    entries = ModelLogEntry.objects.filter(
        object_id=str(edition.pk), action__startswith="newsletter."
    ).order_by("timestamp", "pk")
    assert [(entry.action, entry.user.username if entry.user else None) for entry in entries] == [
        ("newsletter.fill", "ed"),
        ("newsletter.schedule", "ed"),
        ("newsletter.unschedule", "ed"),
        ("newsletter.test_send", "ed"),
        ("newsletter.send", None),  # the worker, on schedule
    ]
    client.get(send_page(edition))  # shows (and so clears) the editor's own flash messages
    html = history_of(client, edition)
    assert "2 stories of this week added" in html
    assert "Scheduled for" in html and "Unscheduled: a draft again" in html
    assert "Test sent to 1 address" in html and "Sending started: 1 letter" in html
    assert "anna@example.org" not in html and "desk@example.org" not in html


def test_a_test_to_a_bad_or_too_many_addresses_sends_nothing(
    admin_client: Client, edition: Edition
) -> None:
    response = admin_client.post(
        send_page(edition), {"action": "test", "to": "desk@example.org, nobody"}
    )
    assert response.status_code == 200
    assert "This is not an address we can write to" in response.content.decode()
    response = admin_client.post(send_page(edition), {"action": "test", "to": " , ;"})
    assert "Enter at least one address." in response.content.decode()
    many = ", ".join(f"desk{number}@example.org" for number in range(11))
    response = admin_client.post(send_page(edition), {"action": "test", "to": many})
    assert "At most 10 addresses at a time." in response.content.decode()
    assert not mail.outbox
    assert not ModelLogEntry.objects.filter(action="newsletter.test_send").exists()


SENDING_STARTED = {
    ("en", 1): "Sending started: 1 letter is on its way.",
    ("en", 2): "Sending started: 2 letters are on their way.",
    ("ru", 1): "Отправка началась: 1 письмо уже в пути.",
    ("ru", 3): "Отправка началась: 3 письма уже в пути.",
    ("ru", 5): "Отправка началась: 5 писем уже в пути.",
    ("ru", 21): "Отправка началась: 21 письмо уже в пути.",
}


@pytest.mark.parametrize(("language", "count"), list(SENDING_STARTED))
def test_counts_on_the_send_screen_agree_with_their_number(
    edition: Edition,
    django_capture_on_commit_callbacks: OnCommit,
    language: str,
    count: int,
) -> None:
    from wagtail.users.models import UserProfile

    client = editor_client()
    profile = UserProfile.get_for_user(User.objects.get(username="ed"))
    profile.preferred_language = language
    profile.save()
    for number in range(count):
        subscriber(f"reader{number}@example.org", "en", "active")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(send_page(edition), {"action": "send"})
    assert flash(response) == [SENDING_STARTED[language, count]]
    history = history_of(client, edition)
    expected = {
        ("en", 1): "Sending started: 1 letter<",
        ("en", 2): "Sending started: 2 letters<",
        ("ru", 1): "Отправка началась: 1 письмо<",
        ("ru", 3): "Отправка началась: 3 письма<",
        ("ru", 5): "Отправка началась: 5 писем<",
        ("ru", 21): "Отправка началась: 21 письмо<",
    }[language, count]
    assert expected in re.sub(r"\s+<", "<", history)


def test_filling_one_story_says_one_story(admin_client: Client, site_tree: Any) -> None:
    make_stories("en", 1)
    empty = Edition.objects.create(language="en", subject="Empty")
    response = admin_client.post(send_page(empty), {"action": "fill"})
    assert flash(response) == ["1 story of this week added."]
