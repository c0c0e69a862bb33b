"""Editors may read the local outbox (the mail written to disk when no mail server is set):
they send the tests and editions whose letters land there.

As in 0002, the permission row is created here the way Django would name it, because Django
creates permissions only after migrating.
"""

from __future__ import annotations

from django.db import migrations

OUTBOX = ("view_outbox", "Can read the local outbox")


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    edition_type, _ = ContentType.objects.get_or_create(app_label="newsletter", model="edition")
    codename, name = OUTBOX
    permission, _ = Permission.objects.get_or_create(
        content_type=edition_type, codename=codename, defaults={"name": name}
    )
    editors = Group.objects.filter(name="Editors").first()
    if editors is not None:
        editors.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(
        content_type__app_label="newsletter", codename=OUTBOX[0]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0002_editor_permissions"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="edition",
            options={
                "ordering": ["-send_at", "-created_at"],
                "permissions": [OUTBOX],
                "verbose_name": "edition",
                "verbose_name_plural": "editions",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
