"""Encrypted model fields (core/fields.py) on the real models: what the database holds, the
look-ups that go through the keyed digest, legacy plaintext, key rotation, and a dump of the
whole database after a reader subscribed and a donor gave."""

from __future__ import annotations

import datetime
import hashlib
import subprocess
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from samizdat.core import crypto
from samizdat.donations import actions as donation_actions
from samizdat.donations.models import Donation, ProviderEvent, RecurringGift
from samizdat.newsletter import actions as newsletter_actions
from samizdat.newsletter.models import Delivery, Edition, Subscriber, Suppression

OLD_KEY = crypto.generate_key()
NEW_KEY = crypto.generate_key()


def stored(model: Any, pk: int, column: str) -> Any:
    """What the database itself holds, without the field's decryption."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def subscriber(email: str, **fields: Any) -> Subscriber:
    return Subscriber.objects.create(email=email, language="en", **fields)


def rotate() -> str:
    out = StringIO()
    call_command("keys", "rotate", "--batch-size", "2", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_database_holds_ciphertext_and_the_code_reads_plaintext() -> None:
    reader = subscriber("anna@example.org")
    gift = Donation.objects.create(
        provider="demo", reference="SZ-1", frequency="once", amount=500, currency="EUR",
        email="anna@example.org", name="Anna Petrova",
    )  # fmt: skip
    for model, pk, column in [
        (Subscriber, reader.pk, "email"),
        (Donation, gift.pk, "email"),
        (Donation, gift.pk, "name"),
    ]:
        value = stored(model, pk, column)
        assert value.startswith(crypto.PREFIX) and "anna" not in value.lower()
    assert stored(Subscriber, reader.pk, "email_hash") == crypto.digest("anna@example.org")
    assert Subscriber.objects.get(pk=reader.pk).email == "anna@example.org"
    assert Donation.objects.values_list("name", flat=True).get() == "Anna Petrova"


@pytest.mark.django_db
def test_lookups_compare_the_keyed_digest() -> None:
    anna = subscriber("anna@example.org")
    boris = subscriber("boris@example.org")
    assert Subscriber.objects.get(email="anna@example.org") == anna
    assert Subscriber.objects.get(email__iexact=" Anna@Example.org") == anna
    assert set(Subscriber.objects.filter(email__in=["anna@example.org", "BORIS@example.org"])) == {
        anna,
        boris,
    }
    assert not Subscriber.objects.filter(email__in=[]).exists()
    assert list(Subscriber.objects.exclude(email="anna@example.org")) == [boris]
    Donation.objects.create(provider="bank", reference="SZ-1", frequency="once", amount=1,
                            currency="EUR")  # fmt: skip
    Donation.objects.create(provider="bank", reference="SZ-2", frequency="once", amount=1,
                            currency="EUR", email="anna@example.org")  # fmt: skip
    assert list(Donation.objects.exclude(email="").values_list("reference", flat=True)) == ["SZ-2"]
    assert Donation.objects.filter(email="").count() == 1


@pytest.mark.django_db
def test_an_address_is_unique_whatever_its_case() -> None:
    subscriber("anna@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        subscriber("ANNA@example.org ")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [{"email__icontains": "anna"}, {"email__startswith": "a"}, {"name__exact": "Anna"}],
)
def test_lookups_that_cannot_work_on_ciphertext_say_so(query: dict[str, str]) -> None:
    with pytest.raises(FieldError, match="encrypted"):
        list(Donation.objects.filter(**query))


@pytest.mark.django_db
def test_plaintext_rows_from_before_encryption_read_and_the_rotation_converts_them() -> None:
    reader = subscriber("carla@example.org")
    old_digest = hashlib.sha256(b"carla@example.org").hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE newsletter_subscriber SET email = %s, email_hash = %s WHERE id = %s",
            ["carla@example.org", old_digest, reader.pk],
        )
        cursor.execute(
            "UPDATE donations_providerevent SET payload = %s WHERE id = %s",
            [
                '{"customer_email": "carla@example.org"}',
                ProviderEvent.objects.create(provider="demo", event_id="e1", type="t").pk,
            ],
        )
    assert Subscriber.objects.get(pk=reader.pk).email == "carla@example.org"
    assert ProviderEvent.objects.get().payload == {"customer_email": "carla@example.org"}

    output = rotate()
    assert "newsletter.Subscriber.email: 1 plaintext" in output
    assert "donations.ProviderEvent.payload: 1 plaintext" in output
    assert stored(Subscriber, reader.pk, "email").startswith(crypto.PREFIX)
    assert Subscriber.objects.get(email="carla@example.org") == reader
    assert ProviderEvent.objects.get().payload == {"customer_email": "carla@example.org"}
    assert "1 plaintext" not in rotate()  # done: a second run finds nothing to do


@pytest.mark.django_db
def test_rotation_rewrites_with_the_new_key_so_the_old_one_can_go(settings: Any) -> None:
    settings.DATA_KEY = OLD_KEY
    readers = [subscriber(f"reader{n}@example.org") for n in range(5)]
    RecurringGift.objects.create(provider="demo", provider_gift_id="g1", frequency="monthly",
                                 amount=500, currency="EUR", email="dora@example.org",
                                 name="Dora")  # fmt: skip
    settings.DATA_KEY, settings.DATA_KEYS_OLD = NEW_KEY, [OLD_KEY]
    assert Subscriber.objects.get(pk=readers[0].pk).email == "reader0@example.org"
    subscriber("eva@example.org")  # written with the new key meanwhile

    output = rotate()
    assert "newsletter.Subscriber.email: 5 rewritten, 1 current" in output
    assert "donations.RecurringGift.name: 1 rewritten" in output

    settings.DATA_KEYS_OLD = []
    assert sorted(Subscriber.objects.values_list("email", flat=True))[:2] == [
        "eva@example.org",
        "reader0@example.org",
    ]
    assert RecurringGift.objects.get(email="dora@example.org").name == "Dora"
    # The wrong key does not read garbage: it says so.
    settings.DATA_KEY = OLD_KEY
    with pytest.raises(crypto.DecryptionError):
        list(Subscriber.objects.all())


@pytest.mark.django_db
def test_old_payloads_are_still_forgotten() -> None:
    event = ProviderEvent.objects.create(
        provider="demo", event_id="e1", type="t", payload={"amount": 500},
        received_at=timezone.now() - datetime.timedelta(days=400),
    )  # fmt: skip
    assert stored(ProviderEvent, event.pk, "payload").startswith(crypto.PREFIX)
    assert donation_actions.forget_old_payloads(now=timezone.now()) == 1
    assert ProviderEvent.objects.get().payload is None


READER = "anna.reader@example.org"
DONOR = "vera.zasulich@example.org"
DONOR_NAME = "Vera Zasulich"


def dump() -> str:
    """Everything the database holds, as its own backup tool writes it."""
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    db = connection.settings_dict
    result = subprocess.run(
        ["pg_dump", "--data-only", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432),
         "-U", db["USER"] or "postgres", db["NAME"]],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return result.stdout


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dump_of_the_database_names_neither_readers_nor_donors(settings: Any) -> None:
    settings.DEBUG = settings.DONATIONS_DEMO = True  # the demo provider
    reader = newsletter_actions.subscribe(
        email=READER, language="en", form="article", wording="Yes", policy_version=1
    )
    assert reader is not None
    edition = Edition.objects.create(language="en", subject="Weekly")
    Delivery.objects.create(edition=edition, subscriber=reader, email=reader.email)
    newsletter_actions.suppress(email=READER, reason="bounced", detail=f"550 <{READER}> unknown")
    client = Client()
    data = {"language": "en", "frequency": "monthly", "currency": "USD", "provider": "demo",
            "amount": "5", "email": DONOR, "name": DONOR_NAME}  # fmt: skip
    checkout = client.post("/donate/", data)
    assert checkout.status_code == 303, checkout.content.decode()[:500]
    client.post(checkout["Location"])
    assert RecurringGift.objects.get(email=DONOR).name == DONOR_NAME
    assert Donation.objects.get(email=DONOR).name == DONOR_NAME
    assert Suppression.objects.filter(email_hash=reader.email_hash).exists()
    assert ProviderEvent.objects.exclude(payload=None).exists()

    text = dump().lower()
    assert "vera" in Donation.objects.get().name.lower()  # the data is there, readable
    for secret in (READER, DONOR, DONOR_NAME, "zasulich", "anna.reader"):
        assert secret.lower() not in text, secret
        assert hashlib.sha256(secret.lower().encode()).hexdigest() not in text
    assert text.count(crypto.PREFIX) >= 6  # two addresses, a letter, two names, a payload


@pytest.mark.django_db
def test_a_new_lookup_key_needs_the_digests_recomputed(settings: Any) -> None:
    reader = subscriber("fedor@example.org")
    settings.LOOKUP_KEY = crypto.generate_key()
    assert not Subscriber.objects.filter(email="fedor@example.org").exists()
    out = StringIO()
    call_command("keys", "rotate", "--rehash", stdout=out)
    assert "newsletter.Subscriber.email: 1 rehashed" in out.getvalue()
    assert Subscriber.objects.get(email="fedor@example.org") == reader


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migrations_encrypt_what_was_there_and_key_the_suppression_list() -> None:
    before = [("newsletter", "0006_confirm_token"), ("donations", "0009_manage_links")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps

    def sha256(address: str) -> str:
        return hashlib.sha256(address.encode()).hexdigest()

    OldSubscriber = old.get_model("newsletter", "Subscriber")
    OldSubscriber.objects.create(email="gleb@example.org", email_hash=sha256("gleb@example.org"),
                                 language="en", status="bounced")  # fmt: skip
    old.get_model("newsletter", "Suppression").objects.bulk_create(
        [
            old.get_model("newsletter", "Suppression")(email_hash=sha256(address), reason="bounced")
            for address in ("gleb@example.org", "erased@example.org")
        ]
    )
    old.get_model("donations", "Donation").objects.create(
        provider="bank", reference="SZ-OLD1", frequency="once", amount=100, currency="EUR",
        email="gleb@example.org", name="Gleb",
    )  # fmt: skip
    old.get_model("donations", "ProviderEvent").objects.create(
        provider="demo", event_id="e1", type="t", payload={"email": "gleb@example.org"}
    )
    try:
        call_command("migrate", verbosity=0)
        reader = Subscriber.objects.get(email="gleb@example.org")
        assert stored(Subscriber, reader.pk, "email").startswith(crypto.PREFIX)
        gift = Donation.objects.get(email="gleb@example.org")
        assert gift.name == "Gleb" and stored(Donation, gift.pk, "name").startswith("enc1$")
        assert ProviderEvent.objects.get().payload == {"email": "gleb@example.org"}
        # The entry of a known address is keyed now; one nobody can convert is gone.
        assert list(Suppression.objects.values_list("email_hash", flat=True)) == [
            crypto.digest("gleb@example.org")
        ]
        assert newsletter_actions.is_suppressed("gleb@example.org")
    finally:
        call_command("migrate", verbosity=0)
