"""Encrypt donors' addresses and names and the providers' payloads kept for a while
(core/crypto.py); addresses are found through a keyed digest."""

from __future__ import annotations

from django.db import migrations

import samizdat.core.fields


def encrypt(apps, schema_editor):
    for name in ("Donation", "RecurringGift", "ProviderEvent"):
        model = apps.get_model("donations", name)
        for field in samizdat.core.fields.encrypted_fields(model):
            samizdat.core.fields.rotate_column(model, field, batch_size=1000, rehash=False)


class Migration(migrations.Migration):

    dependencies = [
        ('donations', '0009_manage_links'),
    ]

    operations = [
        migrations.AddField(
            model_name='donation',
            name='email_hash',
            field=samizdat.core.fields.LookupHashField(db_index=True, source='email'),
        ),
        migrations.AddField(
            model_name='recurringgift',
            name='email_hash',
            field=samizdat.core.fields.LookupHashField(db_index=True, source='email'),
        ),
        migrations.AlterField(
            model_name='donation',
            name='email',
            field=samizdat.core.fields.EncryptedEmailField(blank=True, hash_field='email_hash', max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='donation',
            name='name',
            field=samizdat.core.fields.EncryptedCharField(blank=True, max_length=200, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='providerevent',
            name='payload',
            field=samizdat.core.fields.EncryptedJSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='recurringgift',
            name='email',
            field=samizdat.core.fields.EncryptedEmailField(blank=True, hash_field='email_hash', max_length=254, verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='recurringgift',
            name='name',
            field=samizdat.core.fields.EncryptedCharField(blank=True, max_length=200, verbose_name='name'),
        ),
        migrations.RunPython(encrypt, migrations.RunPython.noop, elidable=True),
    ]
