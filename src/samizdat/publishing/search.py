"""Search that knows the language: words indexed with their stems, results by relevance and age.

Each story's text is indexed as written, followed by the Snowball stem of every word whose stem
differs from the word ("courts court", "суде суд"), and a query is reduced to stems with the
stemmer of the language searched. A stemmed query therefore finds every form of its words, on
SQLite and PostgreSQL alike, while the index still answers Wagtail's own whole-word queries.
"""

from __future__ import annotations

import re
import threading
import time
from functools import cache, lru_cache
from typing import Any

import snowballstemmer
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import F, FloatField, Func, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Greatest
from wagtail.models import PageQuerySet
from wagtail.search import index

# The Snowball algorithm for each language code. A language missing here (or an algorithm the
# installed Snowball lacks) is searched by whole words: nothing breaks, forms just differ.
SNOWBALL_ALGORITHMS = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
# A story this many days old needs twice the relevance of today's to rank beside it.
RECENCY_DAYS = 365.0
WORD = re.compile(r"\w+(?:['’]\w+)*")
APOSTROPHES = str.maketrans({"’": "'"})
STEM_CACHE_SIZE = 200_000  # distinct words remembered per process
# A Snowball stemmer keeps state while it works: one word at a time per process.
_stemming = threading.Lock()


@cache
def stemmer_for(language: str) -> Any:
    """The Snowball stemmer of ``language`` (``pt-br`` uses ``pt``'s), or None."""
    algorithm = SNOWBALL_ALGORITHMS.get(language.lower().split("-")[0])
    if algorithm is None or algorithm not in snowballstemmer.algorithms():
        return None
    return snowballstemmer.stemmer(algorithm)


@lru_cache(maxsize=STEM_CACHE_SIZE)
def _stem(language: str, word: str) -> str:
    # A newsroom's vocabulary is small next to its archive: each word is stemmed once.
    stemmer = stemmer_for(language)
    if stemmer is None:
        return word.replace("'", "")
    with _stemming:
        stem = stemmer.stemWord(word)
    return str(stem).replace("'", "")


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, apostrophes inside words kept ("court's")."""
    return WORD.findall(text.translate(APOSTROPHES).lower())


def stems(text: str, language: str) -> list[str]:
    """The stem of each word of ``text`` in ``language``."""
    return [_stem(language, word) for word in words(text)]


def added_stems(text: str, language: str) -> str:
    """The stems of the words of ``text`` that differ from their word, for the search index."""
    return " ".join(
        stem for word in words(text) if (stem := _stem(language, word)) and stem != word
    )


def language_of(page: Any) -> str:
    """The language a page is written in (its locale's)."""
    return str(page.locale.language_code)


class StemmedSearchField(index.SearchField):
    """A searchable field indexed as written followed by the stems of its words that differ
    (in the language of its page). With ``written=False`` only those stems: for ``title``,
    which Wagtail's own search fields index as written already (both fill the title column)."""

    def __init__(self, field_name: str, *, written: bool = True, **kwargs: Any) -> None:
        super().__init__(field_name, **kwargs)
        self.written = written

    def get_value(self, obj: Any) -> Any:
        value = super().get_value(obj)
        if not value:
            return value
        stems = added_stems(str(value), language_of(obj))
        if not self.written:
            return stems
        return f"{value}\n{stems}" if stems else value


class PublishedDay(Func):
    """Days since 1970-01-01 of a timestamp, as a float (PostgreSQL)."""

    output_field = FloatField()
    template = "(EXTRACT(EPOCH FROM %(expressions)s) / 86400.0)"


def search_stories(stories: PageQuerySet, query: str, *, language: str) -> Any:
    """The ``stories`` matching every word of ``query`` in any form, best first, as card rows
    a paginator pages through.

    Score: relevance / (1 + age in days / RECENCY_DAYS), where relevance is the database's
    full-text rank (SQLite FTS5's BM25, PostgreSQL's ts_rank; the headline counts double) and
    age is the time since first publication. Equal scores: the newer story first.
    """
    terms = stems(query, language)
    if not terms:
        return listing(stories.none())
    today = time.time() / 86400.0
    if connection.vendor == "sqlite":
        return RankedStories(stories, terms, today)
    return listing(postgres_ranked(stories, terms, today))


def postgres_ranked(stories: PageQuerySet, terms: list[str], today: float) -> PageQuerySet:
    """PostgreSQL: ``stories`` matching every term in the index's headline or text, best
    first (ranked here, not by Wagtail's backend, whose headline weight depends on when each
    story was indexed)."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField

    # Quoted lexemes: the terms are words only, so nothing in them is tsquery syntax.
    query = SearchQuery(
        " & ".join(f"'{term}'" for term in terms), search_type="raw", config="simple"
    )
    title, body = F("index_entries__title"), F("index_entries__body")
    matching = stories.annotate(
        indexed=CombinedExpression(title, "||", body, output_field=SearchVectorField())
    ).filter(indexed=query)
    relevance = Value(2.0) * SearchRank(title, query) + SearchRank(body, query)
    age = Greatest(Value(today) - PublishedDay("first_published_at"), Value(0.0))
    score = relevance / (Value(1.0) + age / Value(RECENCY_DAYS))
    return matching.order_by(score.desc(), "-first_published_at", "-pk")


def listing(stories: Any) -> Any:
    """Card rows of ``stories`` (``models.listing``, imported late: models imports this)."""
    from samizdat.publishing.models import listing

    return listing(stories)


class RankedStories:
    """SQLite: the stories matching every term, best first, one page at a time.

    Wagtail's SQLite backend ranks with a subquery per matching story, each running the
    full-text match again: seconds to minutes for a common word in a large archive. Here one
    full-text pass ranks every match, joined to ``stories`` in a single query.
    """

    def __init__(self, stories: PageQuerySet, terms: list[str], today: float) -> None:
        # Defined only when the database is SQLite.
        from wagtail.search.models import IndexEntry, SQLiteFTSIndexEntry

        fts, entries = SQLiteFTSIndexEntry._meta.db_table, IndexEntry._meta.db_table
        phrases = " AND ".join(f'"{term}"' for term in terms)  # words only: nothing to escape
        match = "{title body} : (" + phrases + ")"
        content_type = ContentType.objects.get_for_model(stories.model)
        # Columns of the full-text table: autocomplete, body, title (the headline counts double).
        matches = (
            f"SELECT CAST(e.object_id AS INTEGER) AS story_id,"  # noqa: S608
            f" -bm25({fts}, 0.0, 1.0, 2.0) AS relevance"
            f" FROM {fts} CROSS JOIN {entries} e ON e.id = {fts}.rowid"
            f" WHERE {fts} MATCH %s AND e.content_type_id = %s"
        )
        candidates, params = (
            stories.order_by()
            .annotate(story_id=F("pk"), published=F("first_published_at"))
            .values("story_id", "published")
            .query.sql_with_params()
        )
        # CROSS JOIN keeps SQLite's order: the full-text match once, then each match's story.
        # (Left to itself it walks every story and matches again for each.)
        self.joined = f"({matches}) m CROSS JOIN ({candidates}) s ON s.story_id = m.story_id"
        self.params = [match, content_type.pk, *params]
        self.order = (
            "m.relevance / (1.0 + MAX(%s - (julianday(s.published) - 2440587.5), 0.0) / %s)"
            " DESC, s.published DESC, s.story_id DESC"
        )
        self.order_params = [today, RECENCY_DAYS]
        self.model = stories.model

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {self.joined}", self.params)  # noqa: S608
            return int(cursor.fetchone()[0])

    def __getitem__(self, window: slice) -> list[Any]:
        start = window.start or 0
        limit = -1 if window.stop is None else window.stop - start
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.story_id FROM {self.joined} ORDER BY {self.order}"  # noqa: S608
                " LIMIT %s OFFSET %s",
                [*self.params, *self.order_params, limit, start],
            )
            ids = [row[0] for row in cursor.fetchall()]
        rows = {row["pk"]: row for row in listing(self.model.objects.filter(pk__in=ids))}
        return [rows[pk] for pk in ids if pk in rows]
