"""The per-language columns of the appeal's words are gone: AppealText holds them."""

from django.db import migrations

FIELDS = ("banner", "appeal_title", "appeal", "newsletter_appeal", "thanks")


class Migration(migrations.Migration):
    dependencies = [("donations", "0005_move_appeal_texts")]
    operations = [
        migrations.RemoveField(model_name="donationsettings", name=f"{field}_{language}")
        for field in FIELDS
        for language in ("en", "ru")
    ]
