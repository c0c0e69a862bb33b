"""The appeal's words per language: written in Settings → Donations for any language of
``settings.LANGUAGES``, the default wording from each language's catalogue where nothing is
written, the default language's where the catalogue has none; and the migration that moved
the old per-language columns."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from samizdat.donations import appeal
from samizdat.donations.models import AppealText, DonationSettings
from tests.donations.test_currencies import settings_form

pytestmark = pytest.mark.django_db

BANNER_RU = "Независимая журналистика, которую оплачивают читатели. Поддержите нас."
BANNER_EN = "Independent journalism, paid for by readers. Support us today."
THREE_LANGUAGES = [("en", "English"), ("ru", "Русский"), ("be", "Беларуская")]


def write(language: str, **texts: str) -> AppealText:
    row = AppealText.objects.create(setting=DonationSettings.load(), language=language, **texts)
    appeal.forget()
    return row


def banner(client: Client, path: str) -> str:
    page = client.get(path).content.decode()
    found = re.search(r'<div class="support-banner".*?<p>(.*?) <a', page, re.S)
    assert found, "no banner"
    return found.group(1).strip()


def test_nothing_written_shows_the_default_wording_in_each_language(
    client: Client, newsroom: dict[str, Any]
) -> None:
    assert banner(client, "/en/") == BANNER_EN
    assert banner(client, "/ru/") == BANNER_RU  # from the Russian catalogue


def test_what_the_newsroom_writes_replaces_the_default_field_by_field(
    client: Client, newsroom: dict[str, Any]
) -> None:
    write("ru", banner="Читатели платят за правду.", thanks="")
    assert banner(client, "/ru/") == "Читатели платят за правду."
    assert banner(client, "/en/") == BANNER_EN
    thanks = client.get("/donate/thanks/", {"language": "ru"}).content.decode()
    assert "Спасибо. Ваш взнос позволяет нашим журналистам" in thanks  # left empty: default


def test_a_new_language_needs_only_the_setting(client: Client, db: Any, settings: Any) -> None:
    """Belarusian has no catalogue here: its readers get the default language's words until
    the newsroom writes its own, which need no code and no migration."""
    settings.LANGUAGES = THREE_LANGUAGES
    write("en", thanks="Thank you, truly.")
    page = client.get("/donate/thanks/", {"language": "be"}).content.decode()
    assert "Thank you, truly." in page
    write("be", thanks="Дзякуй за падтрымку.")
    page = client.get("/donate/thanks/", {"language": "be"}).content.decode()
    assert "Дзякуй за падтрымку." in page
    letter = appeal.load().text("newsletter_appeal", "be")  # what the newsletter puts in
    assert letter == "This letter is free because readers pay for it. If you can, support us."


def test_a_language_the_catalogue_lacks_falls_back_to_the_default_languages_words(
    db: Any, settings: Any
) -> None:
    settings.LANGUAGES = [("ru", "Русский"), ("en", "English"), ("be", "Беларуская")]
    settings.LANGUAGE_CODE = "ru"
    appeal.forget()
    config = appeal.load()
    assert config.text("banner", "be") == BANNER_RU
    assert config.text("banner", "en") == BANNER_EN
    assert config.text("banner", "de") == BANNER_RU  # not one of ours: the default language


def test_settings_take_words_only_for_languages_we_publish_in(
    admin_client: Client, client: Client, newsroom: dict[str, Any]
) -> None:
    url, form = settings_form(admin_client)
    form.update(
        {"texts-TOTAL_FORMS": "1", "texts-0-language": "de", "texts-0-banner": "Unterstützen!",
         "texts-0-ORDER": "1", "texts-0-id": ""}
    )  # fmt: skip
    refused = admin_client.post(url, form)
    assert refused.status_code == 200
    assert "Choose one of the languages you publish in: en, ru." in refused.content.decode()
    assert not AppealText.objects.exists()

    form.update({"texts-TOTAL_FORMS": "2", "texts-0-language": "ru", "texts-1-language": "ru",
                 "texts-1-banner": "Дважды", "texts-1-ORDER": "2", "texts-1-id": ""})  # fmt: skip
    twice = admin_client.post(url, form)
    assert twice.status_code == 200 and not AppealText.objects.exists()
    assert "duplicate data for setting and language" in twice.content.decode()

    form.update({"texts-TOTAL_FORMS": "1", "texts-0-banner": "Поддержите нас сегодня."})
    assert admin_client.post(url, form).status_code == 302
    assert banner(client, "/ru/") == "Поддержите нас сегодня."  # at once: the cache forgot


def test_the_languages_offered_are_those_of_the_settings(
    admin_client: Client, settings: Any
) -> None:
    settings.LANGUAGES = THREE_LANGUAGES
    page = admin_client.get("/admin/settings/donations/donationsettings/", follow=True)
    template = page.content.decode()
    assert '<option value="be">Беларуская</option>' in template


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_moves_the_words_and_back() -> None:
    executor = MigrationExecutor(connection)
    old = [("donations", "0004_appeal_texts_and_providers")]
    executor.migrate([("donations", "0003_paymentlink")])
    apps = executor.loader.project_state([("donations", "0003_paymentlink")]).apps
    Settings = apps.get_model("donations", "DonationSettings")
    row = Settings.objects.first() or Settings.objects.create()
    Settings.objects.filter(pk=row.pk).update(banner_ru="Наш баннер", thanks_en="Thanks!")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate([("donations", "0006_remove_appeal_columns")])
        apps = executor.loader.project_state([("donations", "0006_remove_appeal_columns")]).apps
        Text = apps.get_model("donations", "AppealText")
        moved = {t.language: (t.banner, t.thanks, t.appeal) for t in Text.objects.all()}
        # What an editor changed moved; the untouched defaults stay with the catalogue.
        assert moved == {"ru": ("Наш баннер", "", ""), "en": ("", "Thanks!", "")}

        executor = MigrationExecutor(connection)
        executor.migrate(old)
        apps = executor.loader.project_state(old).apps
        back = apps.get_model("donations", "DonationSettings").objects.get(pk=row.pk)
        assert (back.banner_ru, back.thanks_en, back.banner_en) == (
            "Наш баннер", "Thanks!", BANNER_EN,
        )  # fmt: skip
    finally:
        call_command("migrate", "donations", verbosity=0)
