"""Reading a WordPress export (WXR, made under Tools → Export) into records, a post at a time.

The file is never held whole. Reading it starts with a first pass that keeps the channel's head
(the site, authors, categories, tags), compact facts about attachments (for featured images) and
translation groups, and that checks the file is a complete export; ``WordPressExport.posts``
then reads it again, yielding each post as its ``<item>`` ends and dropping the item.
"""

from __future__ import annotations

import functools
import gzip
import html
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from django.utils.translation import gettext as _

from samizdat.importer import records

CHUNK = 1 << 16
# The namespaces of WXR 1.0–1.2 (WordPress has written both http and https addresses).
WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.\d+/$")
EXCERPT_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.\d+/excerpt/$")
PREFIXES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://wellformedweb.org/CommentAPI/": "wfw",
}
# C0 control characters other than tab, newline and carriage return: not allowed in XML, yet
# WordPress writes them into exports when a post held one (pasted from a word processor).
CONTROL_BYTES = bytes(range(0, 9)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20))
TRUNCATED = {
    expat.errors.codes[message]
    for message in (
        expat.errors.XML_ERROR_NO_ELEMENTS,
        expat.errors.XML_ERROR_UNCLOSED_TOKEN,
        expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION,
        expat.errors.XML_ERROR_PARTIAL_CHAR,
    )
}
STATUSES: dict[str, Literal["published", "draft", "scheduled", "private", "trash"]] = {
    "publish": "published",
    "draft": "draft",
    "pending": "draft",
    "future": "scheduled",
    "private": "private",
    "trash": "trash",
}
# Taxonomies multilingual plugins use to tie posts and terms to languages and to each other.
POLYLANG_TAXONOMIES = {"language", "post_translations", "term_language", "term_translations"}
# Co-Authors Plus: a post's bylines are terms of its "author" taxonomy ("cap-<login>"); guest
# authors, who have no WordPress account, are posts of the type "guest-author".
COAUTHORS_TAXONOMY = "author"
GUEST_AUTHOR = "guest-author"
WPML_LANGUAGE_KEYS = ("_wpml_import_language_code", "_wpml_language", "wpml_language")
SERIALIZED_PAIR = re.compile(r's:\d+:"([^"]*)";i:(\d+);')
EMPTY_DATE = "0000-00-00"
EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")


class _Refused(Exception):
    """The file parses as XML but is not a WordPress export."""


def read_wordpress(path: Path) -> WordPressExport:
    """The export in the WXR file at ``path``; ExportError when it is not one, or incomplete."""
    return WordPressExport(path)


@dataclass
class _Item:
    """One ``<item>``'s children, flattened."""

    fields: dict[str, str] = field(default_factory=dict)
    terms: list[tuple[str, str, str]] = field(default_factory=list)  # (domain, nicename, name)
    meta: dict[str, str] = field(default_factory=dict)
    comments: int = 0

    def get(self, tag: str) -> str:
        return self.fields.get(tag, "").strip()

    @property
    def identification(self) -> str:
        """``nav_menu_item 55 (Home)``, for the report (contact form entries' titles hold
        addresses: they are blanked)."""
        kind = self.get("wp:post_type") or "item"
        title = EMAIL.sub("…", self.get("title"))
        ident = f"{kind} {self.get('wp:post_id')}"
        return f"{ident} ({title})" if title else ident


@dataclass
class _Category:
    source_id: str
    slug: str  # as WordPress stores it (percent-encoded when not ASCII)
    name: str
    description: str = ""
    parent: str = ""


class WordPressExport:
    """A WXR export: its head read at once, its posts read on demand."""

    source: records.Source
    skipped: list[tuple[str, str]]
    reusable_blocks: dict[str, str]  # wp_block post id → its block markup

    def __init__(self, path: Path) -> None:
        self.path = path
        self.skipped = []
        self.reusable_blocks = {}
        self._authors: dict[str, records.Author] = {}  # by source id
        self._author_ids: dict[str, str] = {}  # login → source id
        self._author_numbers: dict[str, str] = {}  # source id → WordPress's user id
        self._categories: dict[str, _Category] = {}  # by stored slug
        self._tags: dict[str, _Category] = {}
        self._term_languages: dict[str, str] = {}  # term id → language
        self._attachments: dict[str, records.ImageRef] = {}
        self._first_of_group: dict[str, str] = {}  # translation group → first post id in it
        self._thumbnails: dict[str, str] = {}  # post id → attachment id
        self._guests: list[_Item] = []  # Co-Authors Plus guest authors
        self._first_pass()

    # The first pass --------------------------------------------------------------------------

    def _first_pass(self) -> None:
        head: dict[str, str] = {}
        comments = 0
        for element, _line in _channel_children(self.path):
            tag = element.tag
            if tag == "item":
                item = _flatten(element)
                comments += item.comments
                self._note_item(item)
            elif tag == "wp:author":
                self._note_author(_children_text(element))
            elif tag == "wp:category":
                values = _children_text(element)
                self._note_term(
                    "category",
                    values.get("wp:term_id", ""),
                    values.get("wp:category_nicename", ""),
                    values.get("wp:cat_name", ""),
                    values.get("wp:category_description", ""),
                    values.get("wp:category_parent", ""),
                )
            elif tag == "wp:tag":
                values = _children_text(element)
                self._note_term(
                    "post_tag",
                    values.get("wp:term_id", ""),
                    values.get("wp:tag_slug", ""),
                    values.get("wp:tag_name", ""),
                    values.get("wp:tag_description", ""),
                    "",
                )
            elif tag == "wp:term":
                values = _children_text(element)
                self._note_term(
                    values.get("wp:term_taxonomy", ""),
                    values.get("wp:term_id", ""),
                    values.get("wp:term_slug", ""),
                    values.get("wp:term_name", ""),
                    values.get("wp:term_description", ""),
                    values.get("wp:term_parent", ""),
                )
            elif tag in {"title", "link", "language", "wp:base_site_url", "wp:base_blog_url"}:
                head.setdefault(tag, (element.text or "").strip())
        site_url = (head.get("wp:base_blog_url") or head.get("link", "")).rstrip("/")
        self.source = records.Source(
            system="wordpress",
            site_url=site_url,
            title=html.unescape(head.get("title", "")),
            language=_language(head.get("language", "")),
        )
        self._prefix = urlsplit(site_url).path.rstrip("/")
        for post_id, attachment_id in self._thumbnails.items():
            if attachment_id not in self._attachments:
                self.skipped.append(
                    (
                        _("featured image of post %(id)s") % {"id": post_id},
                        _("attachment %(id)s is not in the export") % {"id": attachment_id},
                    )
                )
        self._thumbnails.clear()
        for guest in self._guests:
            self._note_guest(guest)
        self._guests.clear()
        if comments:
            self.skipped.append(
                (_("%(count)d comments") % {"count": comments}, _("comments are not imported"))
            )

    def _note_author(self, values: dict[str, str]) -> None:
        login = values.get("wp:author_login", "")
        if not login:
            return
        display = values.get("wp:author_display_name", "")
        full = " ".join(
            part
            for part in (values.get("wp:author_first_name"), values.get("wp:author_last_name"))
            if part
        )
        author = self._author(login, display if "@" not in display else full)
        numeric = values.get("wp:author_id", "")
        if numeric.isdigit():
            self._author_numbers[author.source_id] = numeric

    def _author(self, login: str, name: str = "") -> records.Author:
        """The author of this login, made on first sight (exports filtered by author lack some)."""
        # WordPress has written stray angle brackets around logins (">editor") into exports.
        login = _login(login)
        source_id = self._author_ids.get(login)
        if source_id is not None:
            return self._authors[source_id]
        slug = _wordpress_slug(login)
        # A login can be an email address; it must not become an id shown in reports or paths.
        source_id = slug if "@" in login else login
        author = records.Author(
            source_id=source_id,
            slug=slug,
            name=name or (slug if "@" in login else login),
        )
        self._author_ids[login] = source_id
        self._authors[source_id] = author
        return author

    def _note_term(
        self, taxonomy: str, term_id: str, slug: str, name: str, description: str, parent: str
    ) -> None:
        if taxonomy in {"category", "post_tag"}:
            if not slug:
                return
            terms = self._categories if taxonomy == "category" else self._tags
            terms.setdefault(
                slug,
                _Category(
                    source_id=term_id or slug,
                    slug=slug,
                    name=html.unescape(name) or unquote(slug),
                    description=description,
                    parent=parent,
                ),
            )
        elif taxonomy == "term_translations":
            for language, translated in SERIALIZED_PAIR.findall(description):
                self._term_languages[translated] = _language(language)
        elif taxonomy in POLYLANG_TAXONOMIES or taxonomy == COAUTHORS_TAXONOMY:
            pass
        elif taxonomy == "nav_menu":
            self._skip_once(
                _("menu %(name)s") % {"name": name or slug}, _("menus are not imported")
            )
        else:
            self._skip_once(
                _("terms of the taxonomy %(taxonomy)s") % {"taxonomy": taxonomy},
                _("only categories and tags are imported"),
            )

    def _skip_once(self, what: str, reason: str) -> None:
        if (what, reason) not in self.skipped:
            self.skipped.append((what, reason))

    def _note_item(self, item: _Item) -> None:
        post_type = item.get("wp:post_type")
        post_id = item.get("wp:post_id")
        if not post_id:
            self.skipped.append((item.identification, _("it has no wp:post_id")))
            return
        if post_type == "attachment":
            url = item.get("wp:attachment_url") or item.get("guid")
            if url:
                self._attachments[post_id] = records.ImageRef(
                    url=url,
                    alt=item.meta.get("_wp_attachment_image_alt", "").strip(),
                    caption=item.get("excerpt:encoded"),
                    credit=item.meta.get("_media_credit", "").strip(),
                )
            return
        if post_type == GUEST_AUTHOR:
            self._guests.append(item)
            return
        if post_type == "wp_block":
            self.reusable_blocks[post_id] = item.fields.get("content:encoded", "")
            self.skipped.append(
                (
                    item.identification,
                    _("a reusable block: not imported on its own, kept for the posts using it"),
                )
            )
            return
        if post_type not in {"post", "page"}:
            reason = (
                _("menus are not imported")
                if post_type == "nav_menu_item"
                else _("posts of the type %(type)s are not imported") % {"type": post_type}
            )
            self.skipped.append((item.identification, reason))
            return
        status = item.get("wp:status")
        if status == "auto-draft":
            self.skipped.append((item.identification, _("an automatic draft WordPress made")))
            return
        if status == "inherit":
            self.skipped.append((item.identification, _("a revision of another post")))
            return
        creator = _login(item.get("dc:creator"))
        if creator:
            self._author(creator)
        for domain, nicename, name in item.terms:
            if domain in {"category", "post_tag"}:
                self._note_term(domain, "", nicename, name, "", "")
        for login in _coauthors(item):
            self._author(login)
        thumbnail = item.meta.get("_thumbnail_id", "").strip()
        if thumbnail:
            self._thumbnails[post_id] = thumbnail
        if status != "trash":  # a binned post is no original for translations to hang on
            for group in _translation_groups(item):
                self._first_of_group.setdefault(group, post_id)

    def _note_guest(self, item: _Item) -> None:
        """A Co-Authors Plus guest author: a byline with a name, a bio and a photo."""
        login = item.meta.get("cap-user_login", "").strip() or item.get(
            "wp:post_name"
        ).removeprefix("cap-")
        if not login:
            return
        author = self._author(login)
        author.name = (
            item.meta.get("cap-display_name", "").strip() or item.get("title") or author.name
        )
        author.bio = item.meta.get("cap-description", "").strip()
        photo = self._attachments.get(item.meta.get("_thumbnail_id", "").strip())
        if photo is not None:
            author.photo = records.ImageRef(url=photo.url, alt=photo.alt or author.name)

    # What the writer reads ---------------------------------------------------------------

    @property
    def attachment_urls(self) -> dict[str, str]:
        """The address of each attachment by its id, for ``[gallery ids="…"]`` in bodies."""
        return {key: ref.url for key, ref in self._attachments.items()}

    def authors(self) -> list[records.Author]:
        """Every author of the export, with the addresses of their archive pages."""
        return [
            records.Author(
                source_id=author.source_id,
                slug=author.slug,
                name=author.name,
                bio=author.bio,
                photo=(
                    records.ImageRef(url=author.photo.url, alt=author.photo.alt)
                    if author.photo
                    else None
                ),
                old_paths=[
                    f"{self._prefix}/author/{author.slug}/",
                    *(
                        [f"{self._prefix}/?author={self._author_numbers[author.source_id]}"]
                        if author.source_id in self._author_numbers
                        else []
                    ),
                ],
            )
            for author in self._authors.values()
        ]

    def terms(self) -> list[records.Term]:
        """Categories (parents before their children) and tags."""
        result: list[records.Term] = []
        done: set[str] = set()

        def chain(slug: str) -> list[str]:
            slugs: list[str] = []
            while slug and slug in self._categories and slug not in slugs:
                slugs.insert(0, slug)
                slug = self._categories[slug].parent
            return slugs

        for category in self._categories.values():
            for slug in chain(category.slug):
                if slug in done:
                    continue
                done.add(slug)
                term = self._categories[slug]
                parent = term.parent if term.parent in self._categories else ""
                path = "/".join(chain(slug))
                result.append(
                    records.Term(
                        kind="category",
                        source_id=term.source_id,
                        slug=unquote(term.slug),
                        name=term.name,
                        description=term.description,
                        parent_slug=unquote(parent),
                        language=self._term_languages.get(term.source_id, ""),
                        old_paths=[
                            f"{self._prefix}/category/{path}/",
                            *(
                                [f"{self._prefix}/?cat={term.source_id}"]
                                if term.source_id.isdigit()
                                else []
                            ),
                        ],
                    )
                )
        for tag in self._tags.values():
            result.append(
                records.Term(
                    kind="tag",
                    source_id=tag.source_id,
                    slug=unquote(tag.slug),
                    name=tag.name,
                    description=tag.description,
                    language=self._term_languages.get(tag.source_id, ""),
                    old_paths=[
                        f"{self._prefix}/tag/{tag.slug}/",
                        f"{self._prefix}/?tag={tag.slug}",
                    ],
                )
            )
        return result

    def posts(self) -> Iterator[records.Post]:
        """Each post and page, read from the file as it comes (the file is read anew)."""
        for element, _line in _channel_children(self.path):
            if element.tag != "item":
                continue
            item = _flatten(element)
            if (
                item.get("wp:post_type") in {"post", "page"}
                and item.get("wp:status") not in {"auto-draft", "inherit"}
                and item.get("wp:post_id")
            ):
                yield self._post(item)

    def members(self) -> Iterator[records.Member]:
        """WordPress exports carry no newsletter readers."""
        return iter(())

    def _post(self, item: _Item) -> records.Post:
        post_id = item.get("wp:post_id")
        kind: Literal["post", "page"] = "page" if item.get("wp:post_type") == "page" else "post"
        status = STATUSES.get(item.get("wp:status"), "draft")
        if status in {"published", "scheduled"} and item.get("wp:post_password"):
            # A password kept readers out there: it stays out of the public site here.
            status = "private"
        old_paths: list[str] = []
        link_path = _site_path(item.get("link"))
        # A page shown as the site's front page has the site's own address as its link: the
        # home page here stays the home page.
        if link_path and link_path != f"{self._prefix}/":
            old_paths.append(link_path)
        query = "page_id" if kind == "page" else "p"
        old_paths.append(f"{self._prefix}/?{query}={post_id}")
        translation_of = item.meta.get("_icl_lang_duplicate_of", "").strip()
        for group in _translation_groups(item):
            first = self._first_of_group.get(group, post_id)
            if first != post_id:
                translation_of = translation_of or first
        thumbnail = self._attachments.get(item.meta.get("_thumbnail_id", "").strip())
        return records.Post(
            kind=kind,
            source_id=post_id,
            slug=unquote(item.get("wp:post_name")),
            title=item.get("title"),
            status=status,
            body_html=item.fields.get("content:encoded", ""),
            published_at=_date(item.get("wp:post_date_gmt")) or _date(item.get("wp:post_date")),
            modified_at=(
                _date(item.get("wp:post_modified_gmt")) or _date(item.get("wp:post_modified"))
            ),
            excerpt=item.get("excerpt:encoded"),
            language=_item_language(item),
            translation_of=translation_of if translation_of != post_id else "",
            author_ids=_author_ids(item, self._author_ids),
            category_slugs=_slugs(item, "category"),
            tag_slugs=_slugs(item, "post_tag"),
            featured_image=(
                records.ImageRef(
                    url=thumbnail.url,
                    alt=thumbnail.alt,
                    caption=thumbnail.caption,
                    credit=thumbnail.credit,
                )
                if thumbnail
                else None
            ),
            old_paths=list(dict.fromkeys(old_paths)),
        )


# Reading the file ----------------------------------------------------------------------------


def _channel_children(path: Path) -> Iterator[tuple[Element, int]]:
    """Each complete child element of the channel, with the line it ends on; dropped after."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    builder = TreeBuilder()
    depth = 0
    channel: Element | None = None
    wp_namespace = False
    saw_item = False
    ready: list[tuple[Element, int]] = []
    offset = 0  # lines of blank space dropped before the XML declaration

    def namespace(_prefix: str | None, uri: str) -> None:
        nonlocal wp_namespace
        wp_namespace = wp_namespace or bool(WP_NAMESPACE.match(uri))

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth, channel
        tag = _tag(name)
        element = builder.start(
            tag, {_tag(key): value for key, value in attributes.items()} if attributes else {}
        )
        depth += 1
        if depth == 1 and tag != "rss":
            raise _Refused(
                _("its root element is <%(tag)s>, where a WordPress export has <rss>")
                % {"tag": tag}
            )
        if depth == 2 and tag == "channel" and channel is None:
            channel = element

    def end(name: str) -> None:
        nonlocal depth, saw_item
        element = builder.end(_tag(name))
        depth -= 1
        if depth == 2 and channel is not None and element.tag == "item" and not saw_item:
            saw_item = True
            check_namespace()
        if depth == 2 and channel is not None:
            ready.append((element, parser.CurrentLineNumber + offset))
        elif depth == 1 and element is channel and not saw_item:
            check_namespace()

    def check_namespace() -> None:
        if not wp_namespace:
            raise _Refused(
                _(
                    "it is an RSS feed, not a WordPress export: it lacks WordPress's wp: "
                    "elements. Make the export in WordPress under Tools → Export."
                )
            )

    def entity(*_arguments: object) -> None:
        raise _Refused(_("it declares entities, which a WordPress export never does"))

    parser.StartNamespaceDeclHandler = namespace
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = entity

    final = False
    try:
        with _open(path) as stream:
            chunk = stream.read(CHUNK)
            if not chunk.strip():
                raise records.ExportError(_("%(path)s is empty") % {"path": path})
            utf16 = chunk.startswith((b"\xff\xfe", b"\xfe\xff"))
            # Themes and plugins that print a blank line break every export WordPress makes;
            # WordPress's own importer reads those files, so this reader does too.
            stripped = chunk.lstrip()
            offset = chunk[: len(chunk) - len(stripped)].count(b"\n")
            chunk = stripped
            while True:
                final = not chunk
                parser.Parse(chunk if utf16 else chunk.translate(None, CONTROL_BYTES), final)
                for element, line in ready:
                    yield element, line
                    if channel is not None:
                        channel.remove(element)
                ready.clear()
                if final:
                    break
                chunk = stream.read(CHUNK)
    except expat.ExpatError as error:
        line = (error.lineno or 0) + offset
        if final and error.code in TRUNCATED:
            message = _(
                "%(path)s ends before the export does (line %(line)d): the file is cut short. "
                "Download or make the export again."
            )
        elif depth == 0:
            message = _(
                "%(path)s is not an XML file (line %(line)d, column %(column)d: %(error)s). "
                "Expected a WordPress export (WXR), made under Tools → Export."
            )
        else:
            message = _(
                "%(path)s is damaged: %(error)s at line %(line)d, column %(column)d. "
                "Make the export again."
            )
        raise records.ExportError(
            message
            % {
                "path": path,
                "line": line,
                "column": (error.offset or 0) + 1,
                "error": expat.errors.messages[error.code],
            }
        ) from None
    except _Refused as refusal:
        raise records.ExportError(
            _("%(path)s is not a WordPress export (line %(line)d): %(reason)s")
            % {"path": path, "line": parser.CurrentLineNumber + offset, "reason": refusal}
        ) from None
    except (OSError, EOFError) as error:
        raise records.ExportError(
            _("%(path)s cannot be read: %(error)s") % {"path": path, "error": error}
        ) from None
    if channel is None:
        raise records.ExportError(
            _("%(path)s is not a WordPress export: it has no <channel>") % {"path": path}
        )


def _open(path: Path) -> io.BufferedIOBase:
    """The file's bytes, unpacked when it was gzipped."""
    stream = path.open("rb")
    magic = stream.read(4)
    stream.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        stream.close()
        return gzip.open(path, "rb")
    if magic == b"PK\x03\x04":
        stream.close()
        raise records.ExportError(
            _("%(path)s is a zip archive: unpack it and give the .xml file inside") % {"path": path}
        )
    return stream


@functools.lru_cache(maxsize=512)
def _tag(name: str) -> str:
    """``wp:post_id`` for the expat name ``https://wordpress.org/export/1.2/}post_id``."""
    uri, separator, local = name.rpartition("}")
    if not separator:
        return name
    if WP_NAMESPACE.match(uri):
        return f"wp:{local}"
    if EXCERPT_NAMESPACE.match(uri):
        return f"excerpt:{local}"
    prefix = PREFIXES.get(uri)
    return f"{prefix}:{local}" if prefix else "{" + name


def _children_text(element: Element) -> dict[str, str]:
    """Each child's text by tag (the first of a tag), stripped."""
    values: dict[str, str] = {}
    for child in element:
        values.setdefault(child.tag, (child.text or "").strip())
    return values


def _flatten(element: Element) -> _Item:
    item = _Item()
    for child in element:
        tag = child.tag
        if tag == "category":
            item.terms.append(
                (child.get("domain", ""), child.get("nicename", ""), (child.text or "").strip())
            )
        elif tag == "wp:postmeta":
            meta = _children_text(child)
            key = meta.get("wp:meta_key", "")
            if key:
                item.meta.setdefault(key, meta.get("wp:meta_value", ""))
        elif tag == "wp:comment":
            item.comments += 1
        else:
            item.fields.setdefault(tag, child.text or "")
    return item


# Fields ----------------------------------------------------------------------------------


def _date(value: str) -> datetime | None:
    """An aware datetime for WordPress's ``2020-01-31 12:00:00``, read as UTC; None for none."""
    if not value or value.startswith(EMPTY_DATE):
        return None
    try:
        return datetime.fromisoformat(value[:19]).replace(tzinfo=UTC)
    except ValueError:
        return None


def _site_path(url: str) -> str:
    """The path and query of an address on the old site."""
    if not url:
        return ""
    parts = urlsplit(url)
    if not parts.path.startswith("/"):
        return "" if parts.path else ("/?" + parts.query if parts.query else "/")
    # "https://example.org//about/" (a slash too many in the site's address setting).
    path = re.sub(r"/{2,}", "/", parts.path)
    return f"{path}?{parts.query}" if parts.query else path


def _language(code: str) -> str:
    """``en`` for ``en-US`` or ``en_GB``; Chinese keeps its script (``zh-hans``, ``zh-hant``)."""
    code = code.strip().lower().replace("_", "-")
    primary, _dash, rest = code.partition("-")
    if primary == "zh" and rest:
        return "zh-hant" if rest in {"tw", "hk", "mo", "hant"} else "zh-hans"
    return primary


def _item_language(item: _Item) -> str:
    for domain, nicename, _name in item.terms:
        if domain == "language" and nicename:
            return _language(nicename)
    for key in WPML_LANGUAGE_KEYS:
        if item.meta.get(key, "").strip():
            return _language(item.meta[key])
    return ""


def _translation_groups(item: _Item) -> list[str]:
    groups = [
        f"polylang:{nicename}"
        for domain, nicename, _name in item.terms
        if domain == "post_translations"
    ]
    wpml = item.meta.get("_wpml_import_translation_group", "").strip()
    if wpml:
        groups.append(f"wpml:{wpml}")
    return groups


def _slugs(item: _Item, domain: str) -> list[str]:
    return list(
        dict.fromkeys(
            unquote(nicename) for kind, nicename, _name in item.terms if kind == domain and nicename
        )
    )


def _coauthors(item: _Item) -> list[str]:
    """The logins of a post's Co-Authors Plus bylines, in their order."""
    return [
        _login(name or nicename.removeprefix("cap-"))
        for domain, nicename, name in item.terms
        if domain == COAUTHORS_TAXONOMY and (name or nicename)
    ]


def _author_ids(item: _Item, known: dict[str, str]) -> list[str]:
    """The post's bylines when Co-Authors Plus kept them, else the WordPress author."""
    logins = _coauthors(item) or [_login(item.get("dc:creator"))]
    return list(dict.fromkeys(known[login] for login in logins if login in known))


def _login(value: str) -> str:
    return value.strip().strip("<>").strip()


def _wordpress_slug(value: str) -> str:
    """The slug WordPress makes of a login for its author addresses (``user_nicename``)."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    value = value.replace(".", "-")
    value = re.sub(r"[^a-z0-9 _-]", "", value)
    value = re.sub(r"[\s-]+", "-", value)
    return value.strip("-")
