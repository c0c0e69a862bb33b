"""Move the appeal's words from the per-language columns (banner_en, appeal_ru…) to one
AppealText row per language. A column still holding the wording it was created with is left
out, so that language shows the default wording from its catalogue (and later corrections of
it); backwards, every column gets its language's text or that original wording."""

from django.db import migrations

FIELDS = ("banner", "appeal_title", "appeal", "newsletter_appeal", "thanks")
# What the columns held until an editor changed them (0001_initial's defaults).
ORIGINAL = {
    "en": {
        "banner": "Independent journalism, paid for by readers. Support us today.",
        "appeal_title": "Keep this newsroom free",
        "appeal": "We have no owner, no state money and no paywall. Every story you read here "
        "is paid for by readers who can afford to give a little. Even a small monthly gift "
        "keeps a reporter working.",
        "newsletter_appeal": "This letter is free because readers pay for it. If you can, "
        "support us.",
        "thanks": "Thank you. Your gift keeps our reporters working. A receipt is on its way "
        "if you gave us an email address.",
    },
    "ru": {
        "banner": "Независимая журналистика, которую оплачивают читатели. Поддержите нас.",
        "appeal_title": "Помогите редакции оставаться свободной",
        "appeal": "У нас нет владельца, государственных денег и платного доступа. Каждый текст "
        "здесь оплачен читателями, которые могут дать немного. Даже небольшой ежемесячный "
        "взнос позволяет репортёру продолжать работу.",
        "newsletter_appeal": "Это письмо бесплатно, потому что за него платят читатели. Если "
        "можете, поддержите нас.",
        "thanks": "Спасибо. Ваш взнос позволяет нашим журналистам продолжать работу. Если вы "
        "указали адрес почты, квитанция уже в пути.",
    },
}


def forwards(apps, schema_editor):
    DonationSettings = apps.get_model("donations", "DonationSettings")
    AppealText = apps.get_model("donations", "AppealText")
    for row in DonationSettings.objects.all():
        for order, (language, original) in enumerate(ORIGINAL.items()):
            texts = {}
            for field in FIELDS:
                value = (getattr(row, f"{field}_{language}") or "").strip()
                texts[field] = "" if value == original[field] else value
            if any(texts.values()):
                AppealText.objects.update_or_create(
                    setting=row, language=language, defaults={"sort_order": order, **texts}
                )


def backwards(apps, schema_editor):
    DonationSettings = apps.get_model("donations", "DonationSettings")
    AppealText = apps.get_model("donations", "AppealText")
    for row in DonationSettings.objects.all():
        for language, original in ORIGINAL.items():
            text = AppealText.objects.filter(setting=row, language=language).first()
            for field in FIELDS:
                value = getattr(text, field, "") if text is not None else ""
                setattr(row, f"{field}_{language}", value or original[field])
        row.save()


class Migration(migrations.Migration):
    dependencies = [("donations", "0004_appeal_texts_and_providers")]
    operations = [migrations.RunPython(forwards, backwards)]
