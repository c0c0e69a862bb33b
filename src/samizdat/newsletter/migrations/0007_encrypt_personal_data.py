"""Encrypt subscribers' and letters' addresses; key the digests look-ups and the
suppression list compare (core/crypto.py).

Suppression entries were a plain SHA-256 of an address, which anyone with a list of addresses
could match. An entry whose address is still known (a subscriber's or a letter's) gets its
keyed digest; the others cannot be converted and are dropped: such an address could sign up
again only by confirming from its own mailbox.
"""

from __future__ import annotations

import hashlib

from django.db import migrations

import samizdat.core.fields
from samizdat.core import crypto


def encrypt(apps, schema_editor):
    Subscriber = apps.get_model("newsletter", "Subscriber")
    Delivery = apps.get_model("newsletter", "Delivery")
    Suppression = apps.get_model("newsletter", "Suppression")
    known = {}
    for model in (Subscriber, Delivery):
        for address in model.objects.values_list("email", flat=True).iterator():
            normalised = crypto.normalise_address(address)
            known[hashlib.sha256(normalised.encode()).hexdigest()] = normalised
    for model in (Subscriber, Delivery):
        for field in samizdat.core.fields.encrypted_fields(model):
            samizdat.core.fields.rotate_column(model, field, batch_size=1000, rehash=False)
    for entry in Suppression.objects.all().iterator():
        address = known.get(entry.email_hash)
        if address is None:
            entry.delete()
        else:
            Suppression.objects.filter(pk=entry.pk).update(email_hash=crypto.digest(address))


class Migration(migrations.Migration):

    dependencies = [
        ('newsletter', '0006_confirm_token'),
    ]

    operations = [
        migrations.AddField(
            model_name='delivery',
            name='email_hash',
            field=samizdat.core.fields.LookupHashField(db_index=True, source='email'),
        ),
        migrations.AlterField(
            model_name='delivery',
            name='email',
            field=samizdat.core.fields.EncryptedCharField(hash_field='email_hash', max_length=254),
        ),
        migrations.AlterField(
            model_name='subscriber',
            name='email',
            field=samizdat.core.fields.EncryptedEmailField(hash_field='email_hash', max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='subscriber',
            name='email_hash',
            field=samizdat.core.fields.LookupHashField(source='email', unique=True),
        ),
        migrations.RunPython(encrypt, migrations.RunPython.noop, elidable=True),
    ]
