"""Write an old site's export into the newsroom: authors, sections, tags, articles and pages.

Each post is written in a savepoint of its own: one that fails leaves nothing behind and the
others go on. What publishing a page usually sets off (a rebake per page, edition
announcements, a search-index task and a reference-index task per save) is held back while the
import runs; afterwards the imported pages are indexed in bulk and one full build of the
public site is asked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal, Protocol
from urllib.parse import unquote

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from modelsearch import index as search_index
from modelsearch.signal_handlers import post_save_signal_handler
from taggit.models import Tag
from wagtail.models import Page, PageLogEntry, ReferenceIndex
from wagtail.search.backends import get_search_backend
from wagtail.signal_handlers import disable_reference_index_auto_update

from samizdat.core.paths import language_roots, public_path
from samizdat.core.signals import announce_change, paused
from samizdat.importer import addresses, bodies, media, records
from samizdat.importer.models import ImportedItem
from samizdat.importer.report import Report
from samizdat.publishing.actions import (
    ensure_site_tree,
    place_after_last_child,
    without_page_log_lines,
)
from samizdat.publishing.models import (
    ArticlePage,
    ArticlePageAuthor,
    ArticlePageTag,
    AuthorIndexPage,
    AuthorPage,
    HomePage,
    InfoPage,
    SectionPage,
    forget_navigation,
    reading_minutes,
)

BATCH = 100  # posts per transaction; each post has a savepoint of its own within it
STANDFIRST_LENGTH = 300
CAPTION_LENGTH = 300
CREDIT_LENGTH = 120
INTRO_LENGTH = 600
SLUG_LENGTH = 255
TITLE_LENGTH = 255
INDEX_CHUNK = 500
NEWSROOM_SLUG = "newsroom"
Progress = Callable[[int], None]


class Export(Protocol):
    """What the WordPress and Ghost readers hand over."""

    source: records.Source
    skipped: list[tuple[str, str]]

    def authors(self) -> list[records.Author]: ...
    def terms(self) -> list[records.Term]: ...
    def posts(self) -> Iterator[records.Post]: ...
    def members(self) -> Iterator[records.Member]: ...


def source_name(source: records.Source) -> str:
    """``"wordpress:example.org"``: the old site, as ImportedItem and the redirects key it."""
    host = source.site_url.split("://", 1)[-1].split("/", 1)[0] or "unknown"
    return f"{source.system}:{host.lower()}"


def import_export(
    export: Export,
    *,
    resolver: media.Resolver,
    dry_run: bool = False,
    section_map: dict[str, str] | None = None,
    default_section: str | None = None,
    languages: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> Report:
    """Write ``export`` into the newsroom (in a dry run: say what would happen, write nothing)."""
    started = time.monotonic()
    writer = _Writer(
        export=export,
        resolver=resolver,
        dry_run=dry_run,
        section_map=section_map or {},
        default_section=default_section,
        languages=languages or {},
        progress=progress,
    )
    try:
        with paused(), _search_updates_deferred(), without_page_log_lines():
            if dry_run:
                with transaction.atomic():
                    writer.run()
                    transaction.set_rollback(True)
            else:
                writer.run()
    finally:
        # Also when a run stops half-way (^C, an error): what it committed is found by search
        # and published, as a second run would not do it for pages it finds unchanged.
        if not dry_run:
            writer.index()
            forget_navigation()
            # One full build of the public site, instead of one rebake per page written.
            announce_change(ImportedItem)
    writer.report.skipped = list(export.skipped)
    writer.report.seconds = time.monotonic() - started
    return writer.report


@contextmanager
def _search_updates_deferred() -> Iterator[None]:
    """No search-index or reference-index task per page saved: the pages are indexed in bulk
    afterwards (``_Writer.index``)."""
    models = [model for model in search_index.get_indexed_models() if issubclass(model, Page)]
    disconnected = [
        model for model in models if post_save.disconnect(post_save_signal_handler, sender=model)
    ]
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        for model in disconnected:
            post_save.connect(post_save_signal_handler, sender=model)


def fingerprint(record: Any, *context: Any) -> str:
    """A digest of what a record holds (and where it goes): unchanged means nothing to do."""
    data = json.dumps(
        [dataclasses.asdict(record), *context], default=str, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(data.encode()).hexdigest()


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–—") + "…"


def standfirst_of(excerpt: str, blocks: list[dict[str, Any]], title: str) -> str:
    """The excerpt as plain text, else the body's first paragraph, else the headline."""
    text = bodies.plain_text(excerpt) if excerpt else ""
    if not text:
        for block in blocks:
            if block.get("type") == "paragraph" and (
                text := bodies.plain_text(str(block["value"]))
            ):
                break
    return shorten(text or title, STANDFIRST_LENGTH)


def clean_slug(slug: str, title: str, fallback: str) -> str:
    """The old slug (percent-decoded) when it is a valid one, else one made from the title."""
    slug = unquote(slug).strip().lower()
    try:
        validate_unicode_slug(slug)
    except ValidationError:
        slug = slugify(slug or title, allow_unicode=True)
    return (slug or slugify(title, allow_unicode=True) or fallback)[:SLUG_LENGTH]


@dataclass
class _Pending:
    """A new article ready to be written with the others of its batch."""

    page: ArticlePage
    parent: Page
    post: records.Post
    digest: str
    authors: list[AuthorPage]
    tags: list[Tag]
    notes: list[str]


def _insert_rows(model: type[Page], pages: list[Any]) -> None:
    """Insert the model's own part of pages whose ``Page`` rows exist (Django cannot
    bulk-create multi-table children)."""
    fields = list(model._meta.local_concrete_fields)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    rows = [
        [field.get_db_prep_save(field.pre_save(page, add=True), connection) for field in fields]
        for page in pages
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608


FILE_BLOCKS = {"image", "gallery", "document", "audio", "video"}


def _uses_files(page: Page) -> bool:
    if getattr(page, "lead_image_id", None) or getattr(page, "photo_id", None):
        return True
    body = getattr(page, "body", None)
    return any(block.get("type") in FILE_BLOCKS for block in getattr(body, "raw_data", []) or [])


def _reason(error: Exception) -> str:
    """An error as the operator reads it in the report."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(str(message) for message in messages)}"
            for name, messages in error.message_dict.items()
        )
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or type(error).__name__


class _Writer:
    def __init__(
        self,
        *,
        export: Export,
        resolver: media.Resolver,
        dry_run: bool,
        section_map: dict[str, str],
        default_section: str | None,
        languages: dict[str, str],
        progress: Progress | None,
    ) -> None:
        self.export = export
        self.resolver = resolver
        self.section_map = section_map
        self.default_section_slug = default_section
        self.language_map = languages
        self.progress = progress
        self.source = source_name(export.source)
        self.report = Report(source=self.source, dry_run=dry_run)
        self.installed = [code for code, _name in settings.LANGUAGES]
        self.unknown_languages: set[str] = set()
        self.homes: dict[str, HomePage] = {}
        self.home_paths: dict[str, str] = {}
        self.author_indexes: dict[str, AuthorIndexPage] = {}
        self.authors: dict[str, AuthorPage] = {}
        self.default_author: AuthorPage | None = None
        self.sections: dict[tuple[str, str], SectionPage] = {}
        self.default_sections: dict[str, SectionPage] = {}
        self.terms: dict[tuple[str, str], records.Term] = {}
        self.tags: dict[str, Tag] = {}
        self.used_languages: set[str] = set()
        self.written: dict[type[Page], list[int]] = {}
        self.pending: list[_Pending] = []  # new articles, written together at each batch's end
        self.items: dict[str, dict[str, ImportedItem]] = {}
        self.seen: set[tuple[str, str]] = set()
        self.slugs: dict[int, set[str]] = {}  # the slugs under each parent written to
        self.attachments: dict[str, str] | None = getattr(export, "attachment_urls", None)
        self.made: dict[tuple[str, str], Page] = {}  # pages this run wrote, by kind and id

    # Languages and the tree ------------------------------------------------------------

    def language(self, code: str) -> str:
        """The installation's language for a language code of the old site."""
        code = (code or self.export.source.language or "").strip()
        if not code:
            return settings.LANGUAGE_CODE
        wanted = self.language_map.get(code, code)
        normalized = wanted.lower().replace("_", "-")
        for candidate in (normalized, normalized.split("-")[0]):
            if candidate in self.installed:
                self.used_languages.add(candidate)
                return candidate
        if code not in self.unknown_languages:
            self.unknown_languages.add(code)
            self.report.problem(
                _("language “%(code)s”") % {"code": code},
                _("not a language of this newsroom: its items went into %(default)s")
                % {"default": settings.LANGUAGE_CODE},
            )
        self.used_languages.add(settings.LANGUAGE_CODE)
        return str(settings.LANGUAGE_CODE)

    def home(self, language: str) -> HomePage:
        if language not in self.homes:
            home = HomePage.objects.filter(locale__language_code=language).first()
            if home is None:
                raise ValueError(
                    _("there is no front page in %(language)s") % {"language": language}
                )
            self.homes[language] = home
            self.home_paths[language] = public_path(home.url_path, language_roots()) or "/"
        return self.homes[language]

    def author_index(self, language: str) -> AuthorIndexPage:
        if language not in self.author_indexes:
            index = AuthorIndexPage.objects.child_of(self.home(language)).first()
            if index is None:
                raise ValueError(
                    _("there is no authors' page in %(language)s") % {"language": language}
                )
            self.author_indexes[language] = index
        return self.author_indexes[language]

    # The run ----------------------------------------------------------------------------

    def run(self) -> None:
        ensure_site_tree()
        self.home(self.language(""))
        with transaction.atomic():
            for author in self.export.authors():
                self._isolated("author", author.source_id, author.name, self._author, author)
            for term in self.export.terms():
                self.terms[(term.kind, term.slug)] = term
            for term in self.terms.values():
                if term.kind == "category":
                    self._isolated("category", term.source_id, term.name, self._category, term)
                else:
                    self._isolated("tag", term.source_id, term.name, self._tag, term)
        done = 0
        posts = self.export.posts()
        while True:
            with transaction.atomic():
                batch = 0
                try:
                    for post in islice(posts, BATCH):
                        batch += 1
                        self._post(post)
                        done += 1
                        if self.progress is not None:
                            self.progress(done)
                except records.ExportError as error:
                    # A file cut short: the posts read so far are written whole, then it stops.
                    self.report.stopped = str(error)
                    self.report.problem(_("the export"), str(error))
                    batch = 0
                self._flush()
            if batch < BATCH:
                break
        with transaction.atomic():
            for language in sorted(self.used_languages):
                self.report.redirects += addresses.remember_site_feeds(
                    source=self.source, language=language
                )

    def _isolated(
        self, kind: str, source_id: str, name: str, write: Callable[[Any], str], record: Any
    ) -> None:
        """Write one author or term in a savepoint; a failure is a problem line."""
        before = self._checkpoint()
        try:
            with transaction.atomic():
                outcome = write(record)
        except Exception as error:  # one item's failure must not stop the rest
            self._restore(before)
            self.report.count(kind, "failed")
            self.report.problem(f"{kind} {source_id} “{name}”", _reason(error))
            return
        self.report.count(kind, outcome)

    def _item(self, kind: str, source_id: str) -> ImportedItem | None:
        if kind not in self.items:
            # Read once per kind: a lookup per post would cost as much as writing it.
            self.items[kind] = {
                item.source_id: item
                for item in ImportedItem.objects.filter(source=self.source, kind=kind)
            }
        return self.items[kind].get(source_id)

    def _remember_item(self, kind: str, source_id: str, page: Page | None, digest: str) -> None:
        if page is not None:
            self.made[(kind, source_id)] = page
        ImportedItem.objects.update_or_create(
            source=self.source,
            kind=kind,
            source_id=source_id,
            defaults={"page": page, "fingerprint": digest},
        )

    def _written(self, page: Page) -> None:
        self.written.setdefault(type(page), []).append(page.pk)

    def _redirect(self, old_paths: list[str], page: Page, kind: str) -> None:
        # Only public pages: an address leading to a draft would show its slug (its title).
        if old_paths and page.live:
            self.report.redirects += addresses.remember(
                source=self.source, old_paths=old_paths, page=page, kind=kind
            )

    # Authors and terms --------------------------------------------------------------------

    def _author(self, author: records.Author) -> str:
        item = self._item("author", author.source_id)
        digest = fingerprint(author)
        existing = item.page.specific if item is not None and item.page is not None else None
        if existing is not None and item is not None and item.fingerprint == digest:
            self.authors[author.source_id] = existing
            return "unchanged"
        index = self.author_index(self.language(""))
        page = existing or AuthorPage(locale_id=index.locale_id, live=True)
        page.title = author.name.strip()[:TITLE_LENGTH] or author.slug
        page.bio = bodies.plain_text(author.bio)
        notes: list[str] = []
        if author.photo is not None:
            page.photo = self._image(author.photo, notes, _("photo"))
        if existing is None:
            page.slug = self._free_slug(
                index, clean_slug(author.slug, author.name, f"author-{author.source_id}"), notes
            )
            index.add_child(instance=page)
        else:
            page.save()
        self.report.note(_("author “%(name)s”") % {"name": page.title}, notes)
        self._remember_item("author", author.source_id, page, digest)
        self._redirect(author.old_paths, page, "author")
        self._written(page)
        self.authors[author.source_id] = page
        return "created" if existing is None else "updated"

    def _category(self, term: records.Term) -> str:
        language = self.language(term.language)
        item = self._item("category", term.source_id)
        if item is not None and item.page is not None:
            self.sections[(language, term.slug)] = item.page.specific
            return "unchanged"
        section, created = self._section(language, self.section_map.get(term.slug, term.slug), term)
        self.sections[(language, term.slug)] = section
        self._remember_item("category", term.source_id, section, fingerprint(term))
        self._redirect(term.old_paths, section, "section")
        return "created" if created else "unchanged"

    def _section(
        self, language: str, slug: str, term: records.Term | None
    ) -> tuple[SectionPage, bool]:
        """The section with this slug under the language's front page, made when missing."""
        home = self.home(language)
        found = SectionPage.objects.child_of(home).filter(slug=slug).first()
        if found is not None:
            return found, False
        if term is not None and term.slug == slug:
            title, intro, top = term.name, bodies.plain_text(term.description), not term.parent_slug
        else:
            known = self.terms.get(("category", slug))
            title = known.name if known is not None else slug.replace("-", " ").capitalize()
            intro, top = "", True
        section = SectionPage(
            title=title.strip()[:TITLE_LENGTH] or slug,
            slug=clean_slug(slug, title, "section"),
            intro=intro,
            locale_id=home.locale_id,
            live=True,
            show_in_menus=top,
        )
        home.add_child(instance=section)
        self._written(section)
        return section, True

    def _tag(self, term: records.Term) -> str:
        tag, created = self._tag_for(term.slug)
        language = self.language(term.language)
        self.home(language)
        if term.old_paths:
            self.report.redirects += addresses.remember(
                source=self.source,
                old_paths=term.old_paths,
                target_url=f"{self.home_paths[language]}tags/{tag.slug}/",
                kind="tag",
            )
        return "created" if created else "unchanged"

    def _tag_for(self, slug: str) -> tuple[Tag, bool]:
        """The tag with this slug (or, failing that, this name), made when missing."""
        if slug in self.tags:
            return self.tags[slug], False
        term = self.terms.get(("tag", slug))
        name = (term.name if term is not None else "").strip() or unquote(slug)
        tag = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name=name).first()
        created = tag is None
        if tag is None:
            tag = Tag.objects.create(slug=clean_slug(slug, name, "tag")[:100], name=name[:100])
        self.tags[slug] = tag
        return tag, created

    # Posts and pages -------------------------------------------------------------------------

    def _post(self, post: records.Post) -> None:
        what = (
            _("post %(id)s “%(title)s”") if post.kind == "post" else _("page %(id)s “%(title)s”")
        ) % {"id": post.source_id, "title": post.title}
        if post.status == "trash":
            self.report.count(post.kind, "skipped")
            return
        if (post.kind, post.source_id) in self.seen:
            self.report.count(post.kind, "skipped")
            self.report.problem(what, _("listed twice in the export: only the first is imported"))
            return
        self.seen.add((post.kind, post.source_id))
        notes: list[str] = []
        before = self._checkpoint()
        try:
            with transaction.atomic():
                outcome = self._write_post(post, notes)
        except Exception as error:  # one post's failure must not stop the rest
            self._restore(before)
            self.report.count(post.kind, "failed")
            self.report.problem(what, _reason(error))
            return
        self.report.count(post.kind, outcome)
        self.report.note(what, notes)

    def _checkpoint(self) -> tuple[Any, ...]:
        """What a post may add to the writer's memory (sections, tags, the site's author…)."""
        written = {model: len(pks) for model, pks in self.written.items()}
        return (
            dict(self.sections),
            dict(self.default_sections),
            dict(self.tags),
            self.default_author,
            written,
            self.report.redirects,
        )

    def _restore(self, checkpoint: tuple[Any, ...]) -> None:
        """Forget what a post that was rolled back made."""
        sections, defaults, tags, author, written, redirects = checkpoint
        self.sections, self.default_sections, self.tags = sections, defaults, tags
        self.default_author, self.report.redirects = author, redirects
        self.written = {model: pks[: written.get(model, 0)] for model, pks in self.written.items()}

    def _write_post(self, post: records.Post, notes: list[str]) -> str:
        language = self.language(post.language)
        parent: Page = (
            self._section_of(post, language) if post.kind == "post" else self.home(language)
        )
        digest = fingerprint(post, language, parent.pk)
        item = self._item(post.kind, post.source_id)
        if item is not None:
            if item.page_id is None:
                notes.append(_("deleted here since an earlier import: not brought back"))
                return "skipped"
            if item.fingerprint == digest:
                return "unchanged"
            if PageLogEntry.objects.filter(
                page_id=item.page_id, timestamp__gt=item.imported_at
            ).exists():
                # An editor's correction or a takedown here outweighs the old site's copy.
                notes.append(_("changed here since it was imported: left as it is"))
                return "skipped"
        page: ArticlePage | InfoPage
        if item is not None and item.page_id is not None:
            page = Page.objects.get(pk=item.page_id).specific
        elif post.kind == "post":
            page = ArticlePage(locale_id=parent.locale_id)
        else:
            page = InfoPage(locale_id=parent.locale_id)
        authors, tags = self._fill(page, post, notes)
        if item is None and post.translation_of:
            self._translates(page, post, notes)
        if item is None:
            page.slug = self._free_slug(
                parent, clean_slug(post.slug, post.title, f"{post.kind}-{post.source_id}"), notes
            )
            if isinstance(page, ArticlePage) and post.status != "scheduled":
                self._set_status(page, post, notes)
                self.pending.append(_Pending(page, parent, post, digest, authors, tags, notes))
                return "created"
            self._relate(page, authors, tags)
            self._create(page, parent, post, notes)
        else:
            self._relate(page, authors, tags)
            self._update(page, post, notes)
        self._remember_item(post.kind, post.source_id, page, digest)
        self._redirect(post.old_paths, page, post.kind)
        self._written(page)
        return "created" if item is None else "updated"

    def _translates(
        self, page: ArticlePage | InfoPage, post: records.Post, notes: list[str]
    ) -> None:
        """Make ``page`` a translation of the page its post translates, imported before it,
        so each links to the other as its version in another language."""
        waiting = [one.page for one in self.pending if one.post.source_id == post.translation_of]
        other: Page | None = waiting[0] if waiting and post.kind == "post" else None
        other = other or self.made.get((post.kind, post.translation_of))
        original = self._item(post.kind, post.translation_of)
        if other is None and original is not None:
            other = Page.objects.filter(pk=original.page_id).first()
        if other is None:
            notes.append(_("its original is not imported: not linked as a translation"))
        elif (
            other.locale_id == page.locale_id
            or any(
                one.page.translation_key == other.translation_key
                and one.page.locale_id == page.locale_id
                for one in self.pending
            )
            or Page.objects.filter(
                translation_key=other.translation_key, locale_id=page.locale_id
            ).exists()
        ):
            notes.append(_("a version in this language is there already: not linked"))
        else:
            page.translation_key = other.translation_key

    def _section_of(self, post: records.Post, language: str) -> SectionPage:
        for slug in post.category_slugs[:1]:
            if (language, slug) not in self.sections:
                term = self.terms.get(("category", slug))
                self.sections[(language, slug)] = self._section(
                    language, self.section_map.get(slug, slug), term
                )[0]
            return self.sections[(language, slug)]
        if language not in self.default_sections:
            self.default_sections[language] = self._default_section(language)
        return self.default_sections[language]

    def _default_section(self, language: str) -> SectionPage:
        """``--default-section``, else the language's first section, else one named after
        the site."""
        home = self.home(language)
        if self.default_section_slug:
            return self._section(language, self.default_section_slug, None)[0]
        first = SectionPage.objects.child_of(home).order_by("path").first()
        if first is not None:
            return first
        title = self.export.source.title.strip() or _("News")
        return self._section(language, slugify(title, allow_unicode=True) or "news", None)[0]

    def _fill(
        self, page: ArticlePage | InfoPage, post: records.Post, notes: list[str]
    ) -> tuple[list[AuthorPage], list[Tag]]:
        """Everything of the page but its place, slug and status; its authors and tags."""
        page_type: Literal["article", "info"] = (
            "article" if isinstance(page, ArticlePage) else "info"
        )
        converted = bodies.convert_body(
            post.body_html,
            resolver=self.resolver,
            page_type=page_type,
            reusable=getattr(self.export, "reusable_blocks", None),
            attachments=self.attachments,
        )
        notes.extend(converted.notes)
        page.title = post.title.strip()[:TITLE_LENGTH] or _("Untitled")
        page.draft_title = page.title
        page.body = converted.blocks
        if isinstance(page, InfoPage):
            page.intro = shorten(bodies.plain_text(post.excerpt), INTRO_LENGTH)
            return [], []
        page.standfirst = standfirst_of(post.excerpt, converted.blocks, page.title)
        page.lead_image = None
        page.lead_caption = page.lead_credit = ""
        if post.featured_image is not None:
            page.lead_image = self._image(post.featured_image, notes, _("featured image"))
            if page.lead_image is not None:
                page.lead_caption = shorten(
                    bodies.plain_text(post.featured_image.caption), CAPTION_LENGTH
                )
                page.lead_credit = shorten(post.featured_image.credit, CREDIT_LENGTH)
        authors = self._authors_of(post, notes)
        tags = [self._tag_for(slug)[0] for slug in dict.fromkeys(post.tag_slugs)]
        return authors, tags

    @staticmethod
    def _relate(page: ArticlePage | InfoPage, authors: list[AuthorPage], tags: list[Tag]) -> None:
        """Bylines and tags, saved with the page (not for those written in bulk)."""
        if isinstance(page, ArticlePage):
            page.article_authors = [
                ArticlePageAuthor(author=author, sort_order=order)
                for order, author in enumerate(authors)
            ]
            page.tags.set(tags)

    def _image(self, ref: records.ImageRef, notes: list[str], what: str) -> Any:
        try:
            return self.resolver.image(ref)
        except media.MediaUnavailable as error:
            notes.append(
                _("%(what)s %(url)s dropped: %(reason)s")
                % {"what": what, "url": bodies.shown(ref.url), "reason": error}
            )
            return None

    def _authors_of(self, post: records.Post, notes: list[str]) -> list[AuthorPage]:
        found = [self.authors[id_] for id_ in post.author_ids if id_ in self.authors]
        if missing := [id_ for id_ in post.author_ids if id_ not in self.authors]:
            notes.append(_("unknown authors left out: %(ids)s") % {"ids": ", ".join(missing)})
        return list(dict.fromkeys(found)) or [self._site_author()]

    def _site_author(self) -> AuthorPage:
        """The byline of posts without one: the export's only author, else "Newsroom"."""
        if self.default_author is None:
            if len(self.authors) == 1:
                self.default_author = next(iter(self.authors.values()))
            else:
                index = self.author_index(self.language(""))
                found = AuthorPage.objects.child_of(index).filter(slug=NEWSROOM_SLUG).first()
                if found is None:
                    found = AuthorPage(
                        title=_("Newsroom"), slug=NEWSROOM_SLUG, locale_id=index.locale_id
                    )
                    index.add_child(instance=found)
                    self._written(found)
                self.default_author = found
        return self.default_author

    def _free_slug(self, parent: Page, slug: str, notes: list[str]) -> str:
        """``slug``, or ``slug-2``, ``slug-3``… when a sibling already has it (noted)."""
        if parent.pk not in self.slugs:
            self.slugs[parent.pk] = set(parent.get_children().values_list("slug", flat=True))
        taken = self.slugs[parent.pk]
        candidate, number = slug, 1
        while candidate in taken:
            number += 1
            suffix = f"-{number}"
            candidate = slug[: SLUG_LENGTH - len(suffix)] + suffix
        taken.add(candidate)
        if candidate != slug:
            notes.append(
                _("the address “%(slug)s” was taken here: the page is at “%(new)s”")
                % {"slug": slug, "new": candidate}
            )
        return candidate

    def _set_status(self, page: Page, post: records.Post, notes: list[str]) -> None:
        published = post.published_at or timezone.now()
        page.first_published_at = published
        page.last_published_at = post.modified_at or published
        page.live = post.status == "published"
        page.has_unpublished_changes = not page.live
        if post.status == "private":
            notes.append(_("private on the old site: saved as a draft, not published"))

    def _create(
        self, page: ArticlePage | InfoPage, parent: Page, post: records.Post, notes: list[str]
    ) -> None:
        self._set_status(page, post, notes)
        # A post rolled back may have left the parent's count of children behind in memory.
        parent.refresh_from_db(fields=["numchild"])
        parent.add_child(instance=page)
        if post.status == "scheduled":
            self._schedule(page, post, notes)

    def _flush(self) -> None:
        """Write the new articles of the batch in bulk (as ``publishing.seed`` does); should
        that fail, each on its own, so that only the one at fault is left out."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        before = self._checkpoint()
        try:
            with transaction.atomic():
                self._bulk_create(pending)
        except Exception:  # the batch as a whole: each is tried again alone
            self._restore(before)
            for one in pending:
                self._create_alone(one)

    def _bulk_create(self, pending: list[_Pending]) -> None:
        content_type = ContentType.objects.get_for_model(ArticlePage)
        by_parent: dict[int, list[_Pending]] = {}
        for one in pending:
            by_parent.setdefault(one.parent.pk, []).append(one)
        bases: list[Page] = []
        for children in by_parent.values():
            parent = children[0].parent
            place_after_last_child(parent, [one.page for one in children])
            for one in children:
                page = one.page
                page.numchild = 0
                page.content_type = content_type
                page.draft_title = page.title
                bases.append(
                    Page(
                        **{
                            field.attname: getattr(page, field.attname)
                            for field in Page._meta.concrete_fields
                            if field.attname != "id"
                        }
                    )
                )
            Page.objects.filter(pk=parent.pk).update(numchild=F("numchild") + len(children))
        ordered = [one for children in by_parent.values() for one in children]
        Page.objects.bulk_create(bases)
        for one, base in zip(ordered, bases, strict=True):
            one.page.id = one.page.pk = one.page.page_ptr_id = base.pk
            one.page.reading_minutes = reading_minutes(one.page)
        _insert_rows(ArticlePage, [one.page for one in ordered])
        ArticlePageAuthor.objects.bulk_create(
            ArticlePageAuthor(page_id=one.page.pk, author_id=author.pk, sort_order=order)
            for one in ordered
            for order, author in enumerate(one.authors)
        )
        ArticlePageTag.objects.bulk_create(
            ArticlePageTag(content_object_id=one.page.pk, tag_id=tag.pk)
            for one in ordered
            for tag in one.tags
        )
        ImportedItem.objects.bulk_create(
            ImportedItem(
                source=self.source,
                kind=one.post.kind,
                source_id=one.post.source_id,
                page_id=one.page.pk,
                fingerprint=one.digest,
            )
            for one in ordered
        )
        for one in ordered:
            self.made[(one.post.kind, one.post.source_id)] = one.page
            self._redirect(one.post.old_paths, one.page, one.post.kind)
            self._written(one.page)
        for children in by_parent.values():
            children[0].parent.refresh_from_db(fields=["numchild"])

    def _create_alone(self, one: _Pending) -> None:
        """A new article written the ordinary way, after its batch failed as a whole."""
        post, page = one.post, one.page
        what = _("post %(id)s “%(title)s”") % {"id": post.source_id, "title": post.title}
        before = self._checkpoint()
        try:
            with transaction.atomic():
                page.id = page.pk = page.page_ptr_id = None
                self._relate(page, one.authors, one.tags)
                one.parent.refresh_from_db(fields=["numchild"])
                one.parent.add_child(instance=page)
                self._remember_item(post.kind, post.source_id, page, one.digest)
                self._redirect(post.old_paths, page, post.kind)
                self._written(page)
        except Exception as error:  # one post's failure must not stop the rest
            self._restore(before)
            self.report.count(post.kind, "created", -1)
            self.report.count(post.kind, "failed")
            self.report.notes.pop(what, None)
            self.report.problem(what, _reason(error))

    def _schedule(self, page: ArticlePage | InfoPage, post: records.Post, notes: list[str]) -> None:
        """A revision that Wagtail's scheduled publishing makes live at the set time."""
        go_live = post.published_at
        if go_live is None or go_live <= timezone.now():
            notes.append(_("scheduled without a future time: saved as a draft"))
            return
        page.first_published_at = page.last_published_at = None
        page.go_live_at = go_live
        page.save_revision(log_action=False).publish(log_action=False)

    def _update(self, page: ArticlePage | InfoPage, post: records.Post, notes: list[str]) -> None:
        if post.published_at is not None and post.status == "published":
            page.first_published_at = post.published_at
        if post.status == "published":
            was_live = page.live
            page.live = True
            page.has_unpublished_changes = False
            page.last_published_at = post.modified_at or post.published_at or timezone.now()
            page.save(clean=False)  # the values were made valid above
            if page.latest_revision_id is not None:
                # Edited here since: the editor's form shows the latest revision, so it gets one.
                page.save_revision(log_action=False, changed=False)
                type(page).objects.filter(pk=page.pk).update(has_unpublished_changes=False)
            if not was_live:
                notes.append(_("published now (it was not before)"))
            return
        if page.live:
            page.unpublish(log_action=None)
            notes.append(_("no longer published on the old site: withdrawn here"))
        page.save(clean=False)
        if post.status == "scheduled":
            self._schedule(page, post, notes)

    # After the run ---------------------------------------------------------------------------

    def index(self) -> None:
        """Index the pages written, in bulk, for search and for the admin's usage counts."""
        backend = get_search_backend()
        for model, pks in self.written.items():
            for start in range(0, len(pks), INDEX_CHUNK):
                chunk = pks[start : start + INDEX_CHUNK]
                objects = model.get_indexed_objects().filter(pk__in=chunk)
                backend.add_bulk(model, objects)
                # Which pages use an image, a document or a media file (the admin's usage
                # counts): the pages with none have nothing to record.
                for page in objects:
                    if _uses_files(page):
                        ReferenceIndex.create_or_update_for_object(page)
