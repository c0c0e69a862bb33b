"""Give a new installation the default appeal: USD, EUR and GBP with suggested amounts."""

from django.db import migrations

DEFAULTS = [
    ("USD", "10, 25, 50", "2, 5, 10", "24, 60, 120", "en"),
    ("EUR", "10, 25, 50", "2, 5, 10", "24, 60, 120", "ru"),
    ("GBP", "10, 25, 50", "2, 5, 10", "24, 60, 120", ""),
]


def create(apps, schema_editor):
    DonationSettings = apps.get_model("donations", "DonationSettings")
    AppealCurrency = apps.get_model("donations", "AppealCurrency")
    settings = DonationSettings.objects.first() or DonationSettings.objects.create()
    if AppealCurrency.objects.filter(setting=settings).exists():
        return
    for order, (code, once, monthly, annual, default_for) in enumerate(DEFAULTS):
        AppealCurrency.objects.create(
            setting=settings, sort_order=order, code=code, minimum=2, once=once,
            monthly=monthly, annual=annual, default_for=default_for,
        )


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
