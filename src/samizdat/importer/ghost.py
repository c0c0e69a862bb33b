"""Ghost's "Export content" file (Ghost 0.x to 6) read into the shared records.

The whole file is one JSON document, read at once. Ghost 1 and later wrap it as
``{"db": [{"meta": …, "data": {…}}]}``; the oldest exports are the bare ``{"meta", "data"}``.
``data`` holds Ghost's tables as lists of rows: posts (``type`` "post"/"page", or the older
``page`` flag), tags, users, posts_tags, posts_authors, posts_meta, settings, members,
newsletters, members_newsletters. Links inside an export are written ``__GHOST_URL__/…``: they
become the site's address (``site_url`` given, else the ``url`` setting), or stay relative.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from django.conf.locale import LANG_INFO
from django.utils.html import strip_tags
from django.utils.translation import gettext

from samizdat.importer.records import (
    Author,
    ExportError,
    ImageRef,
    Member,
    Post,
    Source,
    Term,
)
from samizdat.importer.subscribers import MemberStream

GHOST_URL = "__GHOST_URL__"
STATUSES: dict[str, Literal["published", "draft", "scheduled"]] = {
    "published": "published",
    "draft": "draft",
    "scheduled": "scheduled",
    # Ghost 5's email-only posts: sent to members, never on the site.
    "sent": "draft",
}
# Internal tags naming a language: "#ru", "#lang-ru", "#language-pt-br", "#lang_ru".
LANGUAGE_TAG = re.compile(r"^#(?:lang(?:uage)?[-_:]?)?([a-z]{2,3}(?:[-_][a-z0-9]{2,8})?)$", re.I)
TRUE = {"1", "true", "yes", "on"}

Row = dict[str, Any]


def read_ghost(
    path: Path,
    *,
    site_url: str = "",
    language_from_tags: bool = False,
    sections_from_tags: bool = False,
) -> GhostExport:
    """Open a Ghost export; ``ExportError`` if the file is not one."""
    return GhostExport(
        path,
        site_url=site_url,
        language_from_tags=language_from_tags,
        sections_from_tags=sections_from_tags,
    )


def language_code(value: object) -> str:
    """A Ghost locale ("en", "pt_BR", "ru-RU") as a lower-case language code ("pt-br"), or
    "" when it names no language Django knows."""
    if not isinstance(value, str) or not value.strip():
        return ""
    code = value.strip().replace("_", "-").lower()
    if code in LANG_INFO:
        return code
    primary = code.split("-", 1)[0]
    return code if primary in LANG_INFO else ""


def _formatter(name: str) -> Callable[[str], str]:
    # The renderers of Ghost's editor formats live in ghost_formats (looked up when needed).
    module = importlib.import_module("samizdat.importer.ghost_formats")
    return cast(Callable[[str], str], getattr(module, name))


class _BadRow(Exception):
    """A row the reader cannot turn into a record; the message says why."""


def _date(value: object, what: str) -> datetime | None:
    """Ghost's times: ISO 8601 ("2021-03-24T04:34:09.000Z"), the database's own
    ("2021-03-24 04:34:09", UTC) or milliseconds since 1970 (import files)."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit():
                return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise _BadRow(
        gettext("its %(what)s “%(value)s” is not a date") % {"what": what, "value": value}
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in TRUE
    return bool(value)


class GhostExport:
    """One Ghost export: the site, its authors and tags, its posts and pages, its members."""

    def __init__(
        self,
        path: Path,
        *,
        site_url: str = "",
        language_from_tags: bool = False,
        sections_from_tags: bool = False,
    ):
        self.path = path
        self.language_from_tags = language_from_tags
        # Ghost has no categories; themes treat a post's first public tag (its primary tag)
        # as its section. Asked for, each primary tag is a category too, so a section here.
        self.sections_from_tags = sections_from_tags
        self.skipped: list[tuple[str, str]] = []
        meta, self._data = self._load(path)
        self.version = str(meta.get("version") or "")
        settings = {
            row.get("key"): row.get("value")
            for row in self._table("settings")
            if isinstance(row.get("key"), str)
        }
        url = site_url or _text(settings.get("url"))
        if url and not urlsplit(url).netloc:
            raise ExportError(
                gettext("%(url)s is not a site address such as https://example.org.") % {"url": url}
            )
        self.source = Source(
            system="ghost",
            site_url=url.rstrip("/"),
            title=_text(settings.get("title")),
            # "locale" since Ghost 5, "lang" in 2–4, "default_locale" in 1, "default_lang" in 0.x.
            language=language_code(
                settings.get("locale")
                or settings.get("lang")
                or settings.get("default_locale")
                or settings.get("default_lang")
            ),
        )
        self._relative_links = False
        self._tags = {str(row.get("id")): row for row in self._table("tags")}
        self._post_tags = self._links("posts_tags", "tag_id")
        self._post_authors = self._links("posts_authors", "author_id")
        self._meta = {str(row.get("post_id")): row for row in self._table("posts_meta")}

    @property
    def post_count(self) -> int:
        """How many posts and pages the export holds (for a progress bar)."""
        return len(self._table("posts"))

    def _load(self, path: Path) -> tuple[Row, Row]:
        name = str(path)
        try:
            with path.open("rb") as file:
                start = file.read(512).lstrip()
                file.seek(0)
                if start.startswith(b"PK\x03\x04"):
                    raise ExportError(
                        gettext(
                            "%(file)s is a zip archive: unpack it and give the .json file "
                            "inside (its images folder can serve as --uploads)."
                        )
                        % {"file": name}
                    )
                if start.startswith(b"<"):
                    raise ExportError(
                        gettext(
                            "%(file)s is XML, not a Ghost export (JSON); a WordPress export is "
                            "imported with “samizdat import wordpress”."
                        )
                        % {"file": name}
                    )
                document = json.load(file)
        except FileNotFoundError:
            raise ExportError(
                gettext("%(file)s: there is no such file.") % {"file": name}
            ) from None
        except IsADirectoryError:
            raise ExportError(
                gettext("%(file)s is a folder, not a Ghost export file.") % {"file": name}
            ) from None
        except OSError as error:
            raise ExportError(
                gettext("%(file)s cannot be read: %(reason)s")
                % {"file": name, "reason": error.strerror}
            ) from None
        except UnicodeDecodeError:
            raise ExportError(
                gettext("%(file)s is not text (UTF-8): not a Ghost export (a .json file).")
                % {"file": name}
            ) from None
        except json.JSONDecodeError as error:
            raise ExportError(
                gettext(
                    "%(file)s is not a Ghost export: it is not JSON (line %(line)s, column "
                    "%(column)s: %(problem)s)."
                )
                % {"file": name, "line": error.lineno, "column": error.colno, "problem": error.msg}
            ) from None
        section: object = document
        if isinstance(section, dict) and "db" in section:
            section = section["db"]
        if isinstance(section, list):
            section = section[0] if section else None
        data = section.get("data") if isinstance(section, dict) else None
        if not isinstance(data, dict) or not ({"posts", "members"} & data.keys()):
            raise ExportError(
                gettext(
                    "%(file)s is JSON but not a Ghost export: expected Ghost's “Export content” "
                    'file, {"db": [{"meta": …, "data": {"posts": […], …}}]}.'
                )
                % {"file": name}
            )
        for table, rows in data.items():
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise ExportError(
                    gettext("%(file)s: the table “%(table)s” is not a list of rows.")
                    % {"file": name, "table": table}
                )
        assert isinstance(section, dict)
        meta = section.get("meta")
        return (meta if isinstance(meta, dict) else {}), data

    def _skip(self, what: str, reason: str) -> None:
        if (what, reason) not in self.skipped:
            self.skipped.append((what, reason))

    def _table(self, name: str) -> list[Row]:
        return cast(list[Row], self._data.get(name) or [])

    def _links(self, table: str, column: str) -> dict[str, list[str]]:
        """Post id → the linked ids, in Ghost's ``sort_order``."""
        rows = sorted(self._table(table), key=lambda row: row.get("sort_order") or 0)
        links: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            links[str(row.get("post_id"))].append(str(row.get(column)))
        return links

    def _url(self, value: object) -> str:
        """An address of the export with ``__GHOST_URL__`` made the site's."""
        text = _text(value)
        if GHOST_URL in text:
            if not self.source.site_url:
                self._note_relative()
            text = text.replace(GHOST_URL, self.source.site_url)
        if text.startswith("//"):
            text = "https:" + text
        return text

    def _note_relative(self) -> None:
        if not self._relative_links:
            self._relative_links = True
            self._skip(
                gettext("site address"),
                gettext(
                    "the export does not name the site's address and none was given: its "
                    "own links and images stay relative (/content/images/…)"
                ),
            )

    def _image(self, url: object, *, alt: object = "", caption: object = "") -> ImageRef | None:
        address = self._url(url)
        if not address:
            return None
        return ImageRef(url=address, alt=_text(alt), caption=unescape(strip_tags(_text(caption))))

    def authors(self) -> list[Author]:
        """Every staff user of the old site (never their email address)."""
        authors = []
        for row in self._table("users"):
            slug = _text(row.get("slug"))
            if not slug:
                self._skip(f"user {row.get('id')}", gettext("it has no slug"))
                continue
            authors.append(
                Author(
                    source_id=str(row.get("id")),
                    slug=slug,
                    name=_text(row.get("name")) or slug,
                    bio=_text(row.get("bio")),
                    photo=self._image(row.get("profile_image") or row.get("image")),
                    old_paths=[f"/author/{slug}/"],
                )
            )
        return authors

    def _public_tag(self, row: Row) -> bool:
        return not _text(row.get("name")).startswith("#") and row.get("visibility") in (
            None,
            "public",
        )

    def terms(self) -> list[Term]:
        """The public tags; internal ones ("#…") are Ghost's markers, not tags."""
        terms = []
        for row in self._tags.values():
            name, slug = _text(row.get("name")), _text(row.get("slug"))
            if not self._public_tag(row):
                reason = (
                    gettext("an internal tag: read as the posts' language")
                    if self.language_from_tags and LANGUAGE_TAG.match(name)
                    else gettext("an internal tag, not shown on the site")
                )
                self._skip(f"tag {name}", reason)
                continue
            if not slug:
                self._skip(f"tag {name}", gettext("it has no slug"))
                continue
            if self.sections_from_tags and row.get("id") in self._primary_tags():
                terms.append(
                    Term(
                        kind="category",
                        source_id=str(row.get("id")),
                        slug=slug,
                        name=name or slug,
                        description=_text(row.get("description")),
                    )
                )
            terms.append(
                Term(
                    kind="tag",
                    source_id=str(row.get("id")),
                    slug=slug,
                    name=name or slug,
                    description=_text(row.get("description")),
                    old_paths=[f"/tag/{slug}/"],
                )
            )
        return terms

    def _primary_tags(self) -> set[Any]:
        """The ids of the tags that come first among some post's public tags."""
        primary = set()
        for tag_ids in self._post_tags.values():
            public = [
                tag for tag in tag_ids if tag in self._tags and self._public_tag(self._tags[tag])
            ]
            primary.update(public[:1])
        return primary

    def posts(self) -> Iterator[Post]:
        """Posts and pages, in the export's order; a row that cannot be read is listed in
        ``skipped`` and the rest go on."""
        for row in self._table("posts"):
            try:
                post = self._post(row)
            except Exception as error:  # one row's oddity (a card of a shape never seen…)
                kind = "page" if self._is_page(row) else "post"
                reason = (
                    str(error)
                    if isinstance(error, _BadRow)
                    else gettext("it could not be read (%(error)s)")
                    % {"error": type(error).__name__}
                )
                self._skip(f"{kind} {row.get('id')}", reason)
                continue
            yield post

    @staticmethod
    def _is_page(row: Row) -> bool:
        if "type" in row:
            return row.get("type") == "page"
        return _truthy(row.get("page"))

    def _post(self, row: Row) -> Post:
        post_id = str(row.get("id"))
        slug = _text(row.get("slug"))
        if not slug:
            raise _BadRow(gettext("it has no slug"))
        raw_status = _text(row.get("status"))
        status: Literal["published", "draft", "scheduled", "private"] | None = STATUSES.get(
            raw_status
        )
        if status is None:
            raise _BadRow(gettext("its status “%(status)s” is unknown") % {"status": raw_status})
        if status in ("published", "scheduled") and _text(row.get("visibility")) not in (
            "",
            "public",
        ):
            status = "private"  # for members or paying readers only there: not public here
        kind: Literal["post", "page"] = "page" if self._is_page(row) else "post"
        tags = [self._tags[tag] for tag in self._post_tags.get(post_id, []) if tag in self._tags]
        language = language_code(row.get("locale") or row.get("lang") or row.get("language"))
        if self.language_from_tags:
            for tag in tags:
                found = LANGUAGE_TAG.match(_text(tag.get("name")))
                if found and not self._public_tag(tag) and language_code(found.group(1)):
                    language = language_code(found.group(1))
                    break
        public_slugs = [_text(tag.get("slug")) for tag in tags if self._public_tag(tag)]
        meta = self._meta.get(post_id, {})
        authors = self._post_authors.get(post_id) or [
            str(author)
            for author in (row.get("author_id") or row.get("created_by"),)
            if author is not None
        ]
        # A draft had no address; what lies below an address (AMP copies) is derived by
        # ``addresses``, as feeds are.
        old_paths = [f"/{slug}/"] if raw_status in {"published", "scheduled"} else []
        return Post(
            kind=kind,
            source_id=post_id,
            slug=slug,
            title=_text(row.get("title")),
            status=status,
            body_html=self._body(row),
            published_at=_date(row.get("published_at"), "publication date"),
            modified_at=_date(row.get("updated_at"), "update date"),
            excerpt=_text(row.get("custom_excerpt")),
            language=language,
            author_ids=authors,
            category_slugs=public_slugs[:1] if self.sections_from_tags else [],
            tag_slugs=public_slugs,
            featured_image=self._image(
                row.get("feature_image") or row.get("image"),
                alt=meta.get("feature_image_alt") or row.get("feature_image_alt"),
                caption=meta.get("feature_image_caption") or row.get("feature_image_caption"),
            ),
            old_paths=old_paths,
        )

    def _body(self, row: Row) -> str:
        """The post's HTML, else its Lexical (Ghost 5+) or Mobiledoc (Ghost 1–4) rendered."""
        html = row.get("html")
        if not (isinstance(html, str) and html.strip()):
            html = ""
            for column, renderer in (
                ("lexical", "lexical_to_html"),
                ("mobiledoc", "mobiledoc_to_html"),
            ):
                source = row.get(column)
                if isinstance(source, dict):
                    source = json.dumps(source)
                if isinstance(source, str) and source.strip():
                    try:
                        html = _formatter(renderer)(source)
                    except (ValueError, KeyError, TypeError, IndexError) as error:
                        raise _BadRow(
                            gettext("its %(format)s body could not be read (%(error)s)")
                            % {"format": column, "error": error}
                        ) from None
                    break
        if GHOST_URL in html:
            if not self.source.site_url:
                self._note_relative()
            html = html.replace(GHOST_URL, self.source.site_url)
        return html

    def members(self) -> Iterator[Member]:
        """The members who wanted the newsletter, with the date Ghost recorded their signup;
        the others are counted by reason in the stream's ``left_out``."""
        left_out: Counter[str] = Counter()
        return MemberStream(self._members(left_out), left_out)

    def _members(self, left_out: Counter[str]) -> Iterator[Member]:
        newsletters = {str(row.get("id")): row for row in self._table("newsletters")}
        by_newsletters = "members_newsletters" in self._data
        subscriptions: dict[str, list[str]] = defaultdict(list)
        for row in self._table("members_newsletters"):
            letter = newsletters.get(str(row.get("newsletter_id")), {})
            if letter.get("status") != "archived":
                subscriptions[str(row.get("member_id"))].append(_text(letter.get("name")))
        site = urlsplit(self.source.site_url).netloc or self.source.title
        signup = (
            f"Ghost member signup at {site}"
            if site
            else f"Ghost member signup (export {self.path.name})"
        )
        for number, row in enumerate(self._table("members"), start=1):
            if by_newsletters:
                names = subscriptions.get(str(row.get("id")))
                subscribed = names is not None
            else:
                names, subscribed = [], _truthy(row.get("subscribed"))
            if not subscribed:
                left_out[gettext("not subscribed to any newsletter there")] += 1
                continue
            if _truthy(row.get("email_disabled")):
                left_out[
                    gettext("mail to them was disabled there (bounced or marked as spam)")
                ] += 1
                continue
            try:
                consented_at = _date(row.get("created_at"), "signup date")
            except _BadRow:
                consented_at = None
            letters = ", ".join(name for name in names or [] if name)
            yield Member(
                email=_text(row.get("email")),
                name=_text(row.get("name")),
                consented_at=consented_at,
                consent_source=f"{signup} (newsletters: {letters})" if letters else signup,
                origin=f"member {number}",
            )
