"""Editors build and send editions; subscriber lists stay with administrators.

Permissions rows do not exist yet on a fresh database when migrations run (Django creates them
after migrating), so they are created here the way Django would name them.
"""

from __future__ import annotations

from django.db import migrations

EDITION_PERMISSIONS = {
    "add_edition": "Can add edition",
    "change_edition": "Can change edition",
    "delete_edition": "Can delete edition",
    "view_edition": "Can view edition",
}


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    editors = Group.objects.filter(name="Editors").first()
    if editors is None:
        return
    edition_type, _ = ContentType.objects.get_or_create(app_label="newsletter", model="edition")
    for codename, name in EDITION_PERMISSIONS.items():
        permission, _ = Permission.objects.get_or_create(
            content_type=edition_type, codename=codename, defaults={"name": name}
        )
        editors.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("newsletter", "0001_initial"),
        ("publishing", "0002_newsroom_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
