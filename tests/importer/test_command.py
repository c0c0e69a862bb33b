"""``samizdat import …``: a tiny export in, the report out, clear refusals of bad input."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django import DjangoDbBlocker
from wagtail.models import Page

from samizdat.publishing.models import ArticlePage
from tests.databases import copy_sqlite

SAMIZDAT = str(Path(sys.executable).with_name("samizdat"))
WXR = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>The Old Gazette</title>
  <link>https://old.example.org</link>
  <language>en-US</language>
  <wp:author><wp:author_login>mara</wp:author_login>
    <wp:author_display_name>Mara Quill</wp:author_display_name></wp:author>
  <wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>city</wp:category_nicename>
    <wp:cat_name>City</wp:cat_name></wp:category>
  <item>
    <title>Harbour workers vote</title>
    <link>https://old.example.org/2021/03/harbour-workers-vote/</link>
    <dc:creator>mara</dc:creator>
    <content:encoded><![CDATA[<p>The vote was close.</p><p>More soon.</p>]]></content:encoded>
    <excerpt:encoded><![CDATA[]]></excerpt:encoded>
    <wp:post_id>12</wp:post_id>
    <wp:post_date_gmt>2021-03-01 09:00:00</wp:post_date_gmt>
    <wp:post_name>harbour-workers-vote</wp:post_name>
    <wp:status>publish</wp:status>
    <wp:post_type>post</wp:post_type>
    <category domain="category" nicename="city"><![CDATA[City]]></category>
  </item>
  <item>
    <title>Menu</title><wp:post_id>55</wp:post_id><wp:post_type>nav_menu_item</wp:post_type>
  </item>
</channel>
</rss>
"""


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    path = tmp_path / "gazette.xml"
    path.write_text(WXR, encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_wordpress_export_is_imported_and_reported(
    site_tree: Any, export_file: Path, tmp_path: Path
) -> None:
    saved = tmp_path / "report.txt"

    output = run("wordpress", str(export_file), "--report", str(saved))

    story = ArticlePage.objects.get(slug="harbour-workers-vote")
    assert story.live and story.standfirst == "The vote was close."
    assert "Import from wordpress:old.example.org" in output
    assert "articles  1 created" in output
    assert output.splitlines()[-1].startswith("Totals: 3 created, 0 updated")
    assert "nav_menu_item 55" in output
    assert saved.read_text(encoding="utf-8") == output


@pytest.mark.django_db
def test_a_second_run_reports_unchanged(site_tree: Any, export_file: Path) -> None:
    run("wordpress", str(export_file))

    output = run("wordpress", str(export_file))

    assert ArticlePage.objects.count() == 1
    assert "articles  1 unchanged" in output


@pytest.mark.django_db
def test_a_dry_run_writes_nothing(site_tree: Any, export_file: Path) -> None:
    pages = Page.objects.count()

    output = run("wordpress", str(export_file), "--dry-run")

    assert Page.objects.count() == pages
    assert output.startswith("Dry run")


@pytest.mark.django_db
def test_sections_are_mapped_from_the_command_line(site_tree: Any, export_file: Path) -> None:
    run("wordpress", str(export_file), "--section", "city=local")

    assert ArticlePage.objects.get().get_parent().slug == "local"


def test_a_file_that_is_not_an_export_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.xml"
    path.write_text("this is not XML", encoding="utf-8")

    with pytest.raises(CommandError, match=r"notes\.xml"):
        run("wordpress", str(path))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run("wordpress", str(tmp_path / "missing.xml"))


def test_a_mapping_without_equals_is_refused(export_file: Path) -> None:
    with pytest.raises(CommandError, match="--section wants OLD=NEW"):
        run("wordpress", str(export_file), "--section", "city")


@pytest.mark.django_db
def test_the_samizdat_program_imports_and_exits_cleanly_on_bad_input(
    tmp_path: Path, export_file: Path, django_db_blocker: DjangoDbBlocker
) -> None:
    if os.environ.get("SAMIZDAT_TEST_DATABASE_URL"):
        pytest.skip("the process test copies the SQLite test database")
    copy_sqlite(tmp_path / "samizdat.sqlite3", django_db_blocker)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SAMIZDAT_DATA_DIR": str(tmp_path),
        "SAMIZDAT_SECRET_KEY": "import-test-" + "x" * 40,
        "SAMIZDAT_DATA_KEY": os.environ["SAMIZDAT_DATA_KEY"],
        "SAMIZDAT_LOOKUP_KEY": os.environ["SAMIZDAT_LOOKUP_KEY"],
        "SAMIZDAT_BUNDLE_AUTO_BUILD": "0",
        # This checkout's code, where the program is installed from another one.
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
    }

    done = subprocess.run([SAMIZDAT, "import", "wordpress", str(export_file)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    bad = tmp_path / "bad.xml"
    bad.write_text("<rss><channel>", encoding="utf-8")
    refused = subprocess.run([SAMIZDAT, "import", "wordpress", str(bad)], env=env,
                             capture_output=True, text=True, timeout=300, check=False)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "articles  1 created" in done.stdout
    with sqlite3.connect(tmp_path / "samizdat.sqlite3") as database:
        titles = [row[0] for row in database.execute("SELECT title FROM wagtailcore_page")]
    assert "Harbour workers vote" in titles
    assert refused.returncode == 1
    assert "bad.xml" in refused.stderr and "Traceback" not in refused.stderr
