"""A newsroom in three languages, run by ``tests/test_languages.py`` in a process of its own.

It starts from an installation in English and Russian with the settings a newsroom would set (``SAMIZDAT_LANGUAGES=en,ru,uk``
in the environment, nothing else about languages anywhere), migrates, publishes a story in
English and its Ukrainian translation, signs a reader up in Ukrainian, builds the static
bundle, and prints what a reader and an editor would see, as JSON, for the test to check.
"""

from __future__ import annotations

import json
import os
import re
import sys
from io import StringIO
from pathlib import Path
from typing import Any


def main() -> None:
    import django

    from samizdat.cli import compile_catalogues

    compile_catalogues()  # as `samizdat` does at start
    django.setup()

    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone
    from wagtail.models import Locale
    from wagtail.rich_text import RichText

    from samizdat.donations import appeal
    from samizdat.mirrors.bundle import build_bundle
    from samizdat.newsletter.actions import run_schedule
    from samizdat.newsletter.models import Edition, Subscriber
    from samizdat.newsletter.outbox import messages
    from samizdat.publishing.models import ArticlePage, HomePage, SectionPage

    call_command("migrate", verbosity=0)
    found: dict[str, Any] = {}
    changes = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=changes)
        found["migrations_needed"] = False
    except SystemExit:
        found["migrations_needed"] = True
    found["migration_report"] = changes.getvalue()

    ukrainian = Locale.objects.get(language_code="uk")
    home = HomePage.objects.get(locale__language_code="en")
    news = home.add_child(instance=SectionPage(title="News", slug="news", show_in_menus=True))
    news.save_revision().publish()
    news_uk = news.copy_for_translation(ukrainian)
    news_uk.title = "Новини"
    news_uk.save_revision().publish()
    story = news.add_child(
        instance=ArticlePage(
            title="The river case reaches the court",
            slug="river-case",
            standfirst="Fishermen say the factory poisoned the water.",
            body=[("paragraph", RichText("<p>The hearing opened on Monday.</p>"))],
        )
    )
    story.save_revision().publish()
    story_uk = story.copy_for_translation(ukrainian)
    story_uk.title = "Справа про річку дійшла до суду"
    story_uk.standfirst = "Рибалки кажуть, що завод отруїв воду."
    story_uk.save_revision().publish()

    reader = Client()
    front = reader.get("/uk/")
    page = reader.get("/uk/news/river-case/")
    found["front_page"] = {"status": front.status_code, "html": front.content.decode()}
    found["article"] = {"status": page.status_code, "html": page.content.decode()}
    found["feed"] = reader.get("/uk/feed/rss/").content.decode()
    found["banner_uk"] = appeal.load().text("banner", "uk")
    found["banner_en"] = appeal.load().text("banner", "en")

    signup = reader.post(
        "/newsletter/subscribe/",
        {"email": "reader@example.net", "language": "uk", "consent": "yes", "form": "article"},
    )
    found["signup_status"] = signup.status_code
    # The worker sends the confirmation (the mail queue, then whatever it queued).
    call_command("worker", "--batch", "--no-periodic-jobs", verbosity=0)
    subscriber = Subscriber.objects.get(email="reader@example.net")
    found["subscriber_language"] = subscriber.language
    found["consent_language"] = subscriber.consents.get().language
    found["confirmation"] = [message["subject"] for message in messages()]
    run_schedule(now=timezone.now())  # drafts next week's edition of every language
    found["draft_editions"] = sorted(Edition.objects.values_list("language", flat=True))

    root = Path(os.environ["SAMIZDAT_DATA_DIR"]) / "bundle"
    report = build_bundle(root)
    found["bundle_problems"] = report.problems
    found["bundle_files"] = sorted(
        str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()
    )
    found["bundle_root"] = (root / "index.html").read_text()
    found["bundle_article"] = (root / "uk/news/river-case/index.html").read_text()
    found["hreflang"] = re.findall(r'hreflang="([^"]+)" href="([^"]+)"', page.content.decode())
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
