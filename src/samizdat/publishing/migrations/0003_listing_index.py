"""An index for the listings readers load most: live pages of a locale, newest first."""

from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("publishing", "0002_newsroom_roles")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS samizdat_page_locale_published "
            "ON wagtailcore_page (locale_id, first_published_at)",
            "DROP INDEX IF EXISTS samizdat_page_locale_published",
        ),
    ]
