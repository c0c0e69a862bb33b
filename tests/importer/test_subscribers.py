"""Members of an old list become subscribers only with the consent they gave there."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from samizdat.importer.ghost import read_ghost
from samizdat.importer.records import ExportError, Member
from samizdat.importer.subscribers import MemberStream, import_members, read_subscriber_csv
from samizdat.newsletter import actions
from samizdat.newsletter.models import Consent, Subscriber
from tests.importer.test_ghost import ghost5

pytestmark = pytest.mark.django_db

SOURCE = "ghost:courier.example"
ADDRESSES = [
    "reader.one@mail.example",
    "paying@mail.example",
    "no.letters@mail.example",
    "only.archived@mail.example",
    "bounced@mail.example",
]
MAILCHIMP = (
    '"Email Address","First Name","Last Name","OPTIN_TIME","CONFIRM_TIME","LANGUAGE"\n'
    '"vera@list.example","Vera","Z","2019-05-01 10:00:00","2019-05-01 10:05:00","ru"\n'
    '"ivan@list.example","Ivan","","2020-02-02 12:00:00","",""\n'
    '"nodate@list.example","No","Date","","",""\n'
    '"not an address","Bad","Row","2020-02-02 12:00:00","",""\n'
    '"garbled@list.example","G","","yesterday","",""\n'
)


def ghost_members(tmp_path: Path) -> Any:
    path = tmp_path / "ghost.json"
    path.write_text(json.dumps(ghost5()), encoding="utf-8")
    return read_ghost(path).members()


def csv_file(tmp_path: Path, text: str, name: str = "audience.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ghost_members_become_confirmed_subscribers_with_their_consent(tmp_path: Path) -> None:
    report = import_members(ghost_members(tmp_path), source=SOURCE, language="en")

    assert (report.created, report.already_subscribed, report.kept_off) == (2, 0, 0)
    assert sum(report.left_out.values()) == 3
    reader = Subscriber.objects.get(email="reader.one@mail.example")
    assert reader.status == Subscriber.Status.ACTIVE
    assert reader.language == "en"
    assert reader.source == SOURCE
    signed_up = datetime(2022, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert reader.confirmed_at == signed_up
    (consent,) = reader.consents.all()
    assert consent.form == "import"
    assert consent.created_at == signed_up  # the date they signed up there, not today
    assert "ghost:courier.example" in consent.wording
    assert "Ghost member signup at courier.example (newsletters: Weekly)" in consent.wording
    assert "2022-03-04T05:06:07+00:00" in consent.wording
    for address in ADDRESSES[2:]:  # no newsletter, an archived one only, mail disabled
        assert not Subscriber.objects.filter(email=address).exists()


def test_a_second_import_changes_nothing(tmp_path: Path) -> None:
    import_members(ghost_members(tmp_path), source=SOURCE, language="en")
    before = list(Subscriber.objects.values_list("pk", "status", "confirmed_at"))
    consents = Consent.objects.count()

    again = import_members(ghost_members(tmp_path), source=SOURCE, language="en")

    assert (again.created, again.confirmed, again.already_subscribed) == (0, 0, 2)
    assert list(Subscriber.objects.values_list("pk", "status", "confirmed_at")) == before
    assert Consent.objects.count() == consents


def test_who_left_here_is_not_subscribed_again(tmp_path: Path) -> None:
    left = actions.subscribe(
        email="reader.one@mail.example",
        language="ru",
        form="article",
        wording="I agree.",
        policy_version=1,
    )
    assert left is not None
    actions.unsubscribe(subscriber_id=left.pk)
    actions.suppress(email="paying@mail.example", reason="complained")

    report = import_members(ghost_members(tmp_path), source=SOURCE, language="en")

    assert (report.created, report.kept_off) == (0, 2)
    left.refresh_from_db()
    assert left.status == Subscriber.Status.UNSUBSCRIBED
    assert left.consents.count() == 1  # only their own signup here
    assert not Subscriber.objects.filter(email="paying@mail.example").exists()


def test_a_pending_signup_here_is_confirmed_by_the_consent_given_there(tmp_path: Path) -> None:
    pending = actions.subscribe(
        email="paying@mail.example",
        language="ru",
        form="article",
        wording="I agree.",
        policy_version=1,
    )
    assert pending is not None and pending.status == Subscriber.Status.PENDING

    report = import_members(ghost_members(tmp_path), source=SOURCE, language="en")

    assert (report.created, report.confirmed) == (1, 1)
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.ACTIVE
    assert pending.language == "ru"  # what they chose here
    assert sorted(pending.consents.values_list("form", flat=True)) == ["article", "import"]


def test_members_without_a_consent_date_are_never_opted_in() -> None:
    members = [
        Member(email="dated@mail.example", consented_at=datetime(2021, 1, 1, tzinfo=UTC)),
        Member(email="undated@mail.example", consent_source="a list", origin="line 3"),
        Member(email="dated@mail.example", consented_at=datetime(2021, 1, 1, tzinfo=UTC)),
    ]
    report = import_members(members, source="csv:list", language="ru")

    assert (report.created, report.without_consent, report.already_subscribed) == (1, 1, 1)
    assert Subscriber.objects.get().language == "ru"
    assert not Subscriber.objects.filter(email="undated@mail.example").exists()


def test_a_dry_run_saves_nothing(tmp_path: Path) -> None:
    report = import_members(ghost_members(tmp_path), source=SOURCE, language="en", dry_run=True)

    assert report.created == 2
    assert "dry run" in report.render()
    assert not Subscriber.objects.exists()
    assert not Consent.objects.exists()


def test_a_mailchimp_csv(tmp_path: Path) -> None:
    members = read_subscriber_csv(
        csv_file(tmp_path, MAILCHIMP), consent_source="CSV: Mailchimp audience"
    )
    report = import_members(members, source="mailchimp:courier", language="en")

    assert (report.created, report.without_consent, report.invalid) == (2, 1, ["line 5"])
    assert dict(report.left_out) == {"the consent date could not be read": 1}
    vera = Subscriber.objects.get(email="vera@list.example")
    assert vera.language == "ru"
    (consent,) = vera.consents.all()
    assert consent.created_at == datetime(2019, 5, 1, 10, 5, tzinfo=UTC)  # the confirmation
    assert "CSV: Mailchimp audience" in consent.wording
    ivan = Subscriber.objects.get(email="ivan@list.example")
    assert ivan.language == "en"
    assert ivan.consents.get().created_at == datetime(2020, 2, 2, 12, tzinfo=UTC)
    assert not Subscriber.objects.filter(email="nodate@list.example").exists()
    assert not Subscriber.objects.filter(email="garbled@list.example").exists()


def test_a_ghost_members_csv_with_semicolons(tmp_path: Path) -> None:
    text = (
        "id;email;name;subscribed_to_emails;created_at;deleted_at;labels\n"
        "1;on@list.example;On;true;2021-06-01T08:00:00.000Z;;\n"
        "2;off@list.example;Off;false;2021-06-01T08:00:00.000Z;;\n"
        "3;gone@list.example;Gone;true;2021-06-01T08:00:00.000Z;2022-01-01T00:00:00.000Z;\n"
    )
    members = read_subscriber_csv(csv_file(tmp_path, text), consent_source="Ghost members CSV")
    (member,) = members
    assert (member.email, member.name, member.origin) == ("on@list.example", "On", "line 2")
    assert member.consented_at == datetime(2021, 6, 1, 8, tzinfo=UTC)
    assert isinstance(members, MemberStream)
    assert dict(members.left_out) == {
        "not receiving mail according to the file": 1,
        "marked as unsubscribed or cleaned in the file": 1,
    }


def test_csv_files_that_cannot_be_imported(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="has no column with the date each person consented"):
        read_subscriber_csv(
            csv_file(tmp_path, "email,name\na@list.example,A\n"), consent_source="x"
        )
    with pytest.raises(ExportError, match="has no address column"):
        read_subscriber_csv(
            csv_file(tmp_path, "who,created_at\nA,2020-01-01\n"), consent_source="x"
        )
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("email,created_at\nj\xf6rg@list.example,2020-01-01\n".encode("latin-1"))
    with pytest.raises(ExportError, match="not UTF-8"):
        read_subscriber_csv(latin1, consent_source="x")
    with pytest.raises(ExportError, match="cannot be read"):
        read_subscriber_csv(tmp_path / "missing.csv", consent_source="x")


def test_nothing_personal_in_the_log_or_the_report(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = import_members(ghost_members(tmp_path), source=SOURCE, language="en")
    csv_report = import_members(
        read_subscriber_csv(csv_file(tmp_path, MAILCHIMP), consent_source="CSV"),
        source="csv:list",
        language="en",
    )

    assert caplog.records  # the imports did log their counts
    written = caplog.text + report.render() + csv_report.render()
    for secret in [*ADDRESSES, "vera@list.example", "ivan@list.example", "not an address"]:
        assert secret not in written
    for name in ["Reader One", "Vera", "Ivan"]:
        assert name not in written
    assert "line 5" in csv_report.render()


def test_a_language_the_site_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of this site's languages"):
        import_members([], source=SOURCE, language="de")


def test_a_long_list_across_many_batches() -> None:
    signed_up = datetime(2021, 1, 1, tzinfo=UTC)
    actions.suppress(email="r1100@mail.example", reason="bounced")
    Subscriber.objects.create(email="r7@mail.example", language="en", status="active")
    members = [Member(email=f"r{i}@mail.example", consented_at=signed_up) for i in range(1200)]
    members.append(Member(email="R3@Mail.Example", consented_at=signed_up))

    report = import_members(members, source="csv:list", language="en")

    assert (report.created, report.already_subscribed, report.kept_off) == (1198, 2, 1)
    assert Subscriber.objects.filter(status="active").count() == 1199
    assert Consent.objects.filter(form="import", created_at=signed_up).count() == 1198
    assert not Subscriber.objects.filter(email="r1100@mail.example").exists()


def test_languages_given_for_a_file_and_the_site_default(tmp_path: Path, settings: Any) -> None:
    settings.LANGUAGE_CODE = "ru"
    text = "email,language,created_at\na@list.example,,2020-01-01\nb@list.example,RU,2020-01-01\n"
    members = read_subscriber_csv(csv_file(tmp_path, text), consent_source="x", language="en")
    report = import_members(members, source="csv:x")

    assert report.created == 2
    assert Subscriber.objects.get(email="a@list.example").language == "en"  # the file's
    assert Subscriber.objects.get(email="b@list.example").language == "ru"  # the row's
    import_members(
        [Member(email="site@list.example", consented_at=datetime(2020, 1, 1, tzinfo=UTC))],
        source="csv:y",
    )
    assert Subscriber.objects.get(email="site@list.example").language == "ru"  # the site's
