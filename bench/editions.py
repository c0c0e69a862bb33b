"""``python -m bench editions [--stories 20]``: the size of a week's edition as files (HTML and
EPUB) against the budget of 2 MB for 20 stories with photos, and the time to make them.

A fresh site (production settings, SQLite, in ``bench/results/data-editions``) gets N stories
published this week, each about 900 words with a lead photo and a photo in its body (1600×900
JPEG originals at quality 85, drawn like the demo's and overlaid with grain, so they compress
like photographs rather than flat drawings), then ``samizdat edition build`` makes the week's
files. Nothing passes or fails. Results: bench/results/editions-N.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from bench import pages
from bench.pages import BIN, RESULTS, log

BUDGET = 2 * 1024 * 1024

MAKE = r"""
import io, json, sys, time
from datetime import timedelta

import django

django.setup()
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from samizdat.editions import actions, build
from samizdat.publishing.actions import ensure_site_tree
from samizdat.publishing.demo import generate_photo
from samizdat.publishing.models import ArticlePage, AuthorIndexPage, AuthorPage, ArticlePageAuthor, HomePage, SectionPage

count = int(sys.argv[1])
ensure_site_tree()
home = HomePage.objects.get(locale__language_code="en")
section = home.add_child(instance=SectionPage(title="News", slug="bench-news", locale_id=home.locale_id))
section.save_revision().publish()
index = AuthorIndexPage.objects.get(locale__language_code="en")
author = index.add_child(instance=AuthorPage(title="Anna Berg", slug="bench-anna", locale_id=index.locale_id))
author.save_revision().publish()


def photo(seed):
    # The demo's drawing, with grain over it: compresses like a photograph.
    drawn = Image.open(io.BytesIO(generate_photo(seed, 1600, 900))).convert("RGB")
    grain = Image.effect_noise((1600, 900), 48).convert("RGB")
    buffer = io.BytesIO()
    Image.blend(drawn, grain, 0.22).save(buffer, "JPEG", quality=85)
    image = get_image_model()(title=seed, file=ImageFile(io.BytesIO(buffer.getvalue()), name=f"{seed}.jpg"))
    image.save()
    return image


words = ("The court heard the case of the reporter for a third day while relatives waited "
         "outside and lawyers said the charges were built on a single anonymous statement. ")
monday = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
monday -= timedelta(days=monday.weekday())
for n in range(count):
    body = []
    for part in range(3):
        body.append(("paragraph", RichText("".join(f"<p>{words * 4}</p>" for _ in range(4)))))
        body.append(("subheading", f"Part {part + 1}"))
    body.insert(2, ("quote", {"text": "We will keep reporting.", "speaker": "Ada Lind", "source": "editor"}))
    body.insert(4, ("image", {"image": photo(f"body-{n}"), "caption": "Inside the court", "credit": "Photo: staff"}))
    page = ArticlePage(
        title=f"Story {n + 1} of the week", slug=f"bench-story-{n + 1}", standfirst="What happened and why it matters.",
        lead_image=photo(f"lead-{n}"), lead_caption="Outside the court", lead_credit="Photo: staff",
        body=body, locale_id=section.locale_id,
    )
    page.article_authors.add(ArticlePageAuthor(author=author, sort_order=0))
    section.add_child(instance=page)
    page.save_revision().publish()
    moment = min(monday + timedelta(minutes=n + 1), timezone.now())
    ArticlePage.objects.filter(pk=page.pk).update(first_published_at=moment, last_published_at=moment)

year, week, _day = timezone.localdate().isocalendar()
found = actions.build_week(language="en", year=year, week=week)
started = time.monotonic()
made = build.files(found)
seconds = time.monotonic() - started
print(json.dumps({
    "stories": len(made.stories),
    "html_bytes": len(made.html),
    "epub_bytes": len(made.epub),
    "make_seconds": seconds,
    "pictures": 2 * len(made.stories),
}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench editions", description=__doc__)
    parser.add_argument("--stories", type=int, default=20, help="stories with photos (20)")
    args = parser.parse_args(argv)
    data_dir = RESULTS / "data-editions"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    env = pages.site_env(data_dir)
    log(f"samizdat migrate ({data_dir})")
    pages.samizdat(env, "migrate", "--verbosity", "0")
    log(f"{args.stories} stories with two photos each, then the week's files")
    done = subprocess.run(
        [str(BIN / "python"), "-c", MAKE, str(args.stories)],
        env=env,
        cwd=pages.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit("bench: making the edition failed")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "budget_bytes": BUDGET,
        **figures,
    }
    (RESULTS / f"editions-{args.stories}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"samizdat editions: {figures['stories']} stories, {figures['pictures']} photos")
    for kind in ("html", "epub"):
        size = figures[f"{kind}_bytes"]
        print(
            f"  {kind:<5} {size:>11,} bytes  {size / BUDGET:6.1%} of the 2 MB budget"
            f"{'' if size <= BUDGET else '  OVER'}"
        )
    print(f"  made in {figures['make_seconds']:.1f} s (both files, renditions made on the way)")
