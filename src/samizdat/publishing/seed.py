"""A large synthetic archive for load tests and benchmarks (``samizdat seed --articles N``).

Pages are written in bulk: tree paths are computed here rather than by one ``add_child`` per
page, which is what makes 100k articles a matter of minutes instead of hours. The result is
an ordinary Wagtail tree: editors can open, edit and republish any synthetic article.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from samizdat.publishing.actions import ensure_site_tree, place_after_last_child
from samizdat.publishing.demo import AUTHORS, SECTIONS, demo_image, ensure_child
from samizdat.publishing.models import (
    TAG,
    WORDS_PER_MINUTE,
    ArticlePage,
    ArticlePageAuthor,
    ArticlePageTag,
    AuthorIndexPage,
    AuthorPage,
    SectionPage,
)

WORDS = [
    "council",
    "budget",
    "court",
    "ruling",
    "river",
    "town",
    "harbour",
    "winter",
    "energy",
    "price",
    "wages",
    "strike",
    "teachers",
    "railway",
    "bridge",
    "archive",
    "witness",
    "election",
    "ballot",
    "region",
    "ministry",
    "report",
    "hospital",
    "factory",
    "festival",
    "theatre",
    "novel",
    "music",
    "border",
    "grain",
    "bank",
    "loan",
    "rent",
    "housing",
    "students",
    "university",
    "newspaper",
    "editor",
    "reader",
    "letter",
    "vote",
    "protest",
    "police",
    "lawyer",
    "judge",
    "appeal",
    "record",
    "audit",
    "contract",
    "tender",
    "road",
    "water",
    "heat",
    "school",
    "clinic",
    "farm",
    "market",
    "export",
    "import",
    "currency",
]
TAGS = [
    "elections",
    "courts",
    "press freedom",
    "energy",
    "sanctions",
    "labour",
    "housing",
    "migration",
    "censorship",
    "theatre",
    "books",
    "music",
    "climate",
    "banks",
    "universities",
    "health",
    "transport",
    "agriculture",
    "technology",
    "corruption",
    "police",
    "education",
    "water",
    "exile",
]
IMAGE_POOL = 12
Progress = Callable[[int], None]


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


class TextPool:
    """Pre-written random sentences and paragraphs, so that each article costs little to write."""

    def __init__(self, rng: random.Random, size: int = 400) -> None:
        self.sentences = [sentence(rng, rng.randint(6, 24)) for _ in range(size)]
        self.paragraphs = [
            " ".join(rng.sample(self.sentences, rng.randint(3, 6))) for _ in range(size)
        ]


def synthetic_body(rng: random.Random, pool: TextPool) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for index in range(rng.randint(5, 9)):
        paragraph = rng.choice(pool.paragraphs)
        blocks.append(
            {"type": "paragraph", "value": f"<p>{paragraph}</p>", "id": str(uuid.uuid4())}
        )
        if index == 2:
            heading = " ".join(rng.choice(pool.sentences).split()[:4])
            blocks.append({"type": "subheading", "value": heading, "id": str(uuid.uuid4())})
        if index == 3 and rng.random() < 0.6:
            quote = {
                "text": rng.choice(pool.sentences),
                "speaker": "A. Witness",
                "source": "speaking to us",
            }
            blocks.append({"type": "quote", "value": quote, "id": str(uuid.uuid4())})
    return blocks


def ensure_structure() -> tuple[list[SectionPage], list[AuthorPage]]:
    """Sections and authors to file synthetic articles under (the demo's, when present)."""
    home = ensure_site_tree()
    sections = list(SectionPage.objects.child_of(home).order_by("path"))
    if not sections:
        for spec in SECTIONS:
            title, intro = spec["en"]
            ensure_child(
                home, SectionPage, spec["slug"], title=title, intro=intro, show_in_menus=True
            )
        sections = list(SectionPage.objects.child_of(home).order_by("path"))
    index = AuthorIndexPage.objects.child_of(home).get()
    authors = list(AuthorPage.objects.child_of(index))
    if not authors:
        for spec in AUTHORS:
            name, role, bio = spec["en"]
            ensure_child(index, AuthorPage, spec["slug"], title=name, role=role, bio=bio)
        authors = list(AuthorPage.objects.child_of(index))
    return sections, authors


def batches(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        yield min(size, total - done)
        done += size


def seed_articles(
    count: int,
    *,
    years: int = 6,
    batch_size: int = 2500,
    seed: int = 1,
    index_for_search: bool = True,
    index_in_background: bool = True,
    progress: Progress | None = None,
) -> int:
    """Create ``count`` published synthetic articles spread over sections, tags and years."""
    rng = random.Random(seed + ArticlePage.objects.count())
    sections, authors = ensure_structure()
    images = [demo_image(f"Synthetic photo {n}", f"synthetic-{n}") for n in range(IMAGE_POOL)]
    # Readers see a tag's name ("press freedom"); its slug ("press-freedom") is its address.
    tags = [
        Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0] for name in TAGS
    ]
    content_type = ContentType.objects.get_for_model(ArticlePage)
    now = timezone.now()
    span = timedelta(days=365 * years).total_seconds()
    pool = TextPool(rng)
    created = 0
    if progress is not None:
        progress(0)  # set-up is done: the rate counts articles only
    indexer = SearchIndexer(background=index_in_background) if index_for_search else None
    try:
        for size in batches(count, batch_size):
            with transaction.atomic():
                pages = _create_batch(
                    size, rng, pool, sections, authors, images, tags, content_type, now, span
                )
            if indexer is not None:
                indexer.add([page.pk for page in pages])
            created += size
            if progress is not None:
                progress(created)
    finally:
        if indexer is not None:
            indexer.finish()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, so the planner uses the listing indexes
    return created


def index_articles(pks: list[int]) -> None:
    get_search_backend().add_bulk(
        ArticlePage, ArticlePage.objects.filter(pk__in=pks).select_related("locale")
    )


def _index_from_queue(queue: multiprocessing.Queue[list[int] | None]) -> None:
    while (pks := queue.get()) is not None:
        index_articles(pks)
    connections.close_all()


class SearchIndexer:
    """Index batches of new articles in a second process while the next batch is written.

    Extracting the text to index costs as much CPU as writing the pages, so on a machine with
    two cores this nearly doubles the seeding rate. Where ``fork`` is unavailable (or inside
    a test's transaction, which a second process cannot see) it indexes in this process.
    """

    def __init__(self, background: bool = True) -> None:
        self.process: multiprocessing.process.BaseProcess | None = None
        if background and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self.queue: multiprocessing.Queue[list[int] | None] = context.Queue(maxsize=4)
            connections.close_all()  # the child must not share this process's connections
            self.process = context.Process(
                target=_index_from_queue, args=(self.queue,), daemon=True
            )
            self.process.start()

    def add(self, pks: list[int]) -> None:
        if self.process is None:
            index_articles(pks)
        else:
            self.queue.put(pks)

    def finish(self) -> None:
        if self.process is not None:
            self.queue.put(None)
            self.process.join()
            if self.process.exitcode != 0:
                raise RuntimeError(f"search indexing failed (exit code {self.process.exitcode})")


def _create_batch(
    size: int,
    rng: random.Random,
    pool: TextPool,
    sections: list[SectionPage],
    authors: list[AuthorPage],
    images: list[Any],
    tags: list[Tag],
    content_type: ContentType,
    now: datetime,
    span: float,
) -> list[Page]:
    by_section: dict[int, list[Page]] = {}
    run = uuid.uuid4().hex[:6]
    for number in range(size):
        section = rng.choice(sections)
        title = rng.choice(pool.sentences)[:-1][:120]
        published = now - timedelta(seconds=rng.random() * span)
        page = Page(
            title=title,
            draft_title=title,
            slug=f"{'-'.join(title.lower().split()[:6])}-{run}{number}",
            content_type=content_type,
            locale_id=section.locale_id,
            live=True,
            has_unpublished_changes=False,
            first_published_at=published,
            last_published_at=published,
            depth=section.depth + 1,
            numchild=0,
            translation_key=uuid.uuid4(),
        )
        by_section.setdefault(section.pk, []).append(page)

    pages: list[Page] = []
    for section in sections:
        children = by_section.get(section.pk, [])
        if not children:
            continue
        place_after_last_child(section, children)
        Page.objects.bulk_create(children)
        Page.objects.filter(pk=section.pk).update(numchild=F("numchild") + len(children))
        pages.extend(children)

    _insert_article_rows(pages, rng, pool, images)
    ArticlePageTag.objects.bulk_create(
        ArticlePageTag(content_object_id=page.pk, tag_id=tag.pk)
        for page in pages
        for tag in rng.sample(tags, rng.randint(1, 4))
    )
    ArticlePageAuthor.objects.bulk_create(
        ArticlePageAuthor(page_id=page.pk, author_id=author.pk, sort_order=order)
        for page in pages
        for order, author in enumerate(rng.sample(authors, rng.choice((1, 1, 1, 2))))
    )
    return pages


def _insert_article_rows(
    pages: list[Page], rng: random.Random, pool: TextPool, images: list[Any]
) -> None:
    """Insert the article part of each page (Django cannot bulk-create multi-table children)."""
    fields = [field for field in ArticlePage._meta.local_concrete_fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(ArticlePage._meta.db_table)
    rows = []
    for page in pages:
        body = synthetic_body(rng, pool)
        text = " ".join(TAG.sub(" ", str(block["value"])) for block in body)
        values = {
            "page_ptr": page.pk,
            "standfirst": rng.choice(pool.sentences),
            "lead_image": rng.choice(images).pk,
            "lead_caption": rng.choice(pool.sentences),
            "lead_credit": "Photo: Lantern archive",
            "body": json.dumps(body),
            "reading_minutes": max(1, math.ceil(len(text.split()) / WORDS_PER_MINUTE)),
        }
        # Fields the synthetic archive does not fill (a story's label…) take their default.
        rows.append(
            [
                values[field.name]
                if field.name in values
                else field.get_db_prep_value(field.get_default(), connection)
                for field in fields
            ]
        )
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608
