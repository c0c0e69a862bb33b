"""A third language from settings alone: ``SAMIZDAT_LANGUAGES=en,ru,uk`` and the Ukrainian
catalogue give pages, alternates, feeds, newsletter lists, the appeal and the static bundle in
Ukrainian, with no migration and no code. The site runs in a process of its own, started with
those settings on a copy of an installation in English and Russian (the migrated test
database, SQLite or PostgreSQL), as a newsroom would add a language (``tests/languages_site.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from pytest_django import DjangoDbBlocker

from tests.databases import copy_sqlite, create_postgres, drop_postgres

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("three-languages")
    admin_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
    name = f"{urlsplit(admin_url).path.lstrip('/')}_languages_{uuid.uuid4().hex[:8]}"
    if admin_url:
        database_url = create_postgres(admin_url, name, django_db_blocker)
    else:
        copy_sqlite(data_dir / "samizdat.sqlite3", django_db_blocker)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SAMIZDAT_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="samizdat.settings",
        SAMIZDAT_LANGUAGES="en,ru,uk",
        SAMIZDAT_DATA_DIR=str(data_dir),
        SAMIZDAT_SECRET_KEY="three-languages-" + "k" * 50,
        SAMIZDAT_DATA_KEY=os.environ["SAMIZDAT_DATA_KEY"],
        SAMIZDAT_LOOKUP_KEY=os.environ["SAMIZDAT_LOOKUP_KEY"],
        SAMIZDAT_SITE_URL="http://testserver",
        SAMIZDAT_SSL_REDIRECT="0",
        SAMIZDAT_BUNDLE_AUTO_BUILD="0",
        SAMIZDAT_BUNDLE_JOBS="1",
        SAMIZDAT_LOG_LEVEL="ERROR",
    )
    if admin_url:
        env["SAMIZDAT_DATABASE_URL"] = database_url
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.languages_site"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        if admin_url:
            drop_postgres(admin_url, name)
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout)
    yield found


def test_a_new_language_needs_no_migration(site: dict[str, Any]) -> None:
    assert site["migrations_needed"] is False, site["migration_report"]


def test_the_front_page_and_a_story_are_in_ukrainian(site: dict[str, Any]) -> None:
    front, article = site["front_page"], site["article"]
    assert front["status"] == 200 and article["status"] == 200
    assert '<html lang="uk">' in front["html"]
    assert "Новини" in front["html"]  # the section, in the masthead
    assert "Справа про річку дійшла до суду" in front["html"]
    assert "Перейти до вмісту" in article["html"]  # the interface, from the catalogue
    assert '<meta property="og:locale" content="uk_UA">' in article["html"]
    # The masthead offers every language, each in its own name.
    for name in ("English", "Русский", "Українська"):
        assert f">{name}</a>" in article["html"]


def test_alternates_name_every_translation_and_the_default(site: dict[str, Any]) -> None:
    alternates = {(code, url) for code, url in site["hreflang"]}
    assert alternates == {
        ("en", "http://testserver/en/news/river-case/"),
        ("uk", "http://testserver/uk/news/river-case/"),
        ("x-default", "http://testserver/en/news/river-case/"),
    }  # not in Russian: there is no Russian translation


def test_the_feed_of_the_language_carries_its_stories(site: dict[str, Any]) -> None:
    assert "Справа про річку дійшла до суду" in site["feed"]
    assert "The river case reaches the court" not in site["feed"]


def test_readers_sign_up_in_the_language_and_it_has_its_own_edition(
    site: dict[str, Any],
) -> None:
    assert site["signup_status"] == 200
    assert site["subscriber_language"] == "uk" and site["consent_language"] == "uk"
    assert site["draft_editions"] == ["en", "ru", "uk"]


def test_the_appeal_speaks_the_language(site: dict[str, Any]) -> None:
    assert site["banner_uk"] and site["banner_uk"] != site["banner_en"]
    assert site["banner_uk"] in site["front_page"]["html"]


def test_the_bundle_holds_the_language(site: dict[str, Any]) -> None:
    assert site["bundle_problems"] == []
    files = set(site["bundle_files"])
    for rel in (
        "uk/index.html",
        "uk/news/index.html",
        "uk/news/river-case/index.html",
        "uk/feed/rss/index.xml",
        "uk/newsletter/index.html",
        "uk/privacy/index.html",
        "uk/mirrors/index.html",
    ):
        assert rel in files, rel
    assert 'href="./uk/index.html"' in site["bundle_root"] and "Українська" in site["bundle_root"]
    assert "Справа про річку дійшла до суду" in site["bundle_article"]
