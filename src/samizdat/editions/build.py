"""The week's stories as files a reader can carry: one self-contained HTML page and an EPUB 3
book per language and week, each with a detached Ed25519 signature.

Nothing here is stored: the files are derived from the database, byte for byte the same for
the same stories (no build time, no random name, zip entries dated by the newest story), so
every node renders the same bytes, the static bundle renders them like any public address,
and a story withdrawn is simply absent the next time they are rendered.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from wagtail.rich_text import expand_db_html

from samizdat.core.paths import absolute, language_roots, public_path
from samizdat.newsletter.models import Edition, EditionItem
from samizdat.publishing.models import ArticlePage, ArticlePageAuthor
from samizdat.publishing.models import articles as live_articles

# Photos are made small enough that twenty stories fit in a couple of megabytes.
IMAGE_SPEC = "max-640x640|format-jpeg|jpegquality-50"
# Changing how the files are made changes their bytes: part of every memo key.
FORMAT_VERSION = "1"
EPUB_MIMETYPE = b"application/epub+zip"
KINDS = ("html", "epub")
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "epub": "application/epub+zip"}


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week in one language: the unit of an edition."""

    year: int
    week: int
    language: str

    @property
    def slug(self) -> str:
        return f"{self.year}-w{self.week:02d}"

    @classmethod
    def of(cls, moment: datetime, language: str) -> Week:
        year, week, _day = timezone.localtime(moment).isocalendar()
        return cls(year, week, language)

    @classmethod
    def parse(cls, slug: str, language: str) -> Week | None:
        """``2026-w49`` (or ``2026-W49``) → the week; None for anything else."""
        try:
            year, week = slug.lower().split("-w")
            date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            return None
        return cls(int(year), int(week), language)

    def bounds(self) -> tuple[datetime, datetime]:
        """Its first and last moment (Monday 00:00 to the next, in the newsroom's time)."""
        monday = date.fromisocalendar(self.year, self.week, 1)
        start = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
        return start, start + timedelta(days=7)

    def path(self, kind: str, signature: bool = False) -> str:
        return f"/{self.language}/editions/{self.slug}.{kind}" + (".sig" if signature else "")

    def file_name(self, kind: str) -> str:
        name = "".join(c if c.isalnum() else "-" for c in settings.SITE_NAME.lower()).strip("-")
        return f"{name or 'edition'}-{self.language}-{self.slug}.{kind}"


def newsletter_edition(week: Week) -> Edition | None:
    """The newsletter edition that went out in that week (the latest, if several)."""
    start, end = week.bounds()
    return (
        Edition.objects.filter(
            language=week.language,
            status__in=[Edition.Status.SENDING, Edition.Status.SENT],
            started_at__gte=start,
            started_at__lt=end,
        )
        .order_by("-started_at", "-pk")
        .first()
    )


def stories(week: Week) -> list[ArticlePage]:
    """The stories of a week's edition: those its sent newsletter picked, in its order, or
    else the week's published stories of its language, newest first (at most
    ``EDITION_STORIES``). Only what readers may see now: a story withdrawn since is left out."""
    edition = newsletter_edition(week)
    queryset = live_articles().filter(locale__language_code=week.language)
    if edition is not None:
        ids = list(
            EditionItem.objects.filter(edition=edition)
            .order_by("sort_order")
            .values_list("article_id", flat=True)
        )
        found = {page.pk: page for page in queryset.filter(pk__in=ids).specific()}
        return [found[pk] for pk in ids if pk in found]
    start, end = week.bounds()
    picked = queryset.filter(first_published_at__gte=start, first_published_at__lt=end)
    return list(picked.specific()[: settings.EDITION_STORIES])


def archive(language: str) -> list[Week]:
    """Every week with an edition in ``language``, newest first: the weeks of sent
    newsletters and the weeks built by hand."""
    from samizdat.editions.models import WeeklyEdition

    weeks = {
        Week(year, number, language)
        for year, number in WeeklyEdition.objects.filter(language=language).values_list(
            "year", "week"
        )
    }
    for started in Edition.objects.filter(
        language=language,
        status__in=[Edition.Status.SENDING, Edition.Status.SENT],
        started_at__isnull=False,
    ).values_list("started_at", flat=True):
        weeks.add(Week.of(started, language))
    return sorted(weeks, reverse=True)


def public_paths() -> list[str]:
    """Every address of the editions: each language's page, and each week's files and their
    signatures (when the newsroom signs)."""
    signed = bool(settings.BUNDLE_SIGNING_KEY)
    paths = []
    for code, _name in settings.LANGUAGES:
        paths.append(f"/{code}/editions/")
        for week in archive(code):
            paths.extend(week_paths(week, signed=signed))
    return paths


def week_paths(week: Week, *, signed: bool | None = None) -> list[str]:
    if signed is None:
        signed = bool(settings.BUNDLE_SIGNING_KEY)
    return [
        path
        for kind in KINDS
        for path in (week.path(kind), *((week.path(kind, signature=True),) if signed else ()))
    ]


# --- the files -------------------------------------------------------------------------------


@dataclass
class Picture:
    name: str  # images/<n>.jpg inside the book
    data: bytes
    width: int
    height: int

    def data_uri(self) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(self.data).decode("ascii")


@dataclass
class Story:
    number: int
    title: str
    standfirst: str
    byline: str
    published: datetime
    date_text: str
    url: str
    lead: Picture | None
    lead_caption: str
    body: list[tuple[str, Any]]  # ("html", markup with {{img:N}} placeholders) / images


@dataclass
class Files:
    week: Week
    stories: list[Story]
    html: bytes
    epub: bytes

    def data(self, kind: str) -> bytes:
        return self.html if kind == "html" else self.epub


# Made files are kept in the shared cache a day, under a key naming everything their bytes
# depend on (each story's revision): the editions page states every file's size.
CACHE_SECONDS = 24 * 3600


def _key(week: Week, pages: list[ArticlePage]) -> str:
    parts = (
        FORMAT_VERSION,
        week,
        settings.SITE_URL,
        settings.SITE_NAME,
        tuple((page.pk, page.latest_revision_id, page.last_published_at) for page in pages),
    )
    return "edition-files:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def files(week: Week) -> Files:
    """The week's HTML and EPUB: the same bytes for the same stories, wherever made."""
    pages = stories(week)
    key = _key(week, pages)
    found = cache.get(key)
    if isinstance(found, Files):
        return found
    with translation.override(week.language):
        pictures: list[Picture] = []
        story_list = [_story(n, page, pictures) for n, page in enumerate(pages, start=1)]
        made = Files(
            week=week,
            stories=story_list,
            html=_html(week, story_list),
            epub=_epub(week, story_list, pictures),
        )
    cache.set(key, made, CACHE_SECONDS)
    return made


def signature(data: bytes) -> bytes | None:
    """Base64 of the Ed25519 signature of ``data`` with the bundle's signing key, as
    ``manifest.json.sig`` is made; None when the newsroom does not sign."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    path = settings.BUNDLE_SIGNING_KEY
    if not path:
        return None
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 private key")
    return base64.b64encode(key.sign(data)) + b"\n"


# --- reading a story -------------------------------------------------------------------------


def _picture(image: Any, pictures: list[Picture]) -> Picture | None:
    if image is None:
        return None
    try:
        rendition = image.get_rendition(IMAGE_SPEC)
        with rendition.file.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        return None
    picture = Picture(
        name=f"images/{len(pictures) + 1}.jpg",
        data=data,
        width=rendition.width,
        height=rendition.height,
    )
    pictures.append(picture)
    return picture


def _canonical(page: ArticlePage, roots: list[tuple[str, str]]) -> str:
    return absolute(public_path(page.url_path, roots) or "/")


def _byline(page: ArticlePage) -> str:
    names = [
        row.author.title
        for row in ArticlePageAuthor.objects.filter(page=page)
        .select_related("author")
        .order_by("sort_order")
    ]
    if not names:
        return ""
    if len(names) == 1:
        return _("By %(name)s") % {"name": names[0]}
    return _("By %(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _story(number: int, page: ArticlePage, pictures: list[Picture]) -> Story:
    published = (
        page.first_published_at or page.last_published_at or datetime(1970, 1, 1, tzinfo=UTC)
    )
    body: list[tuple[str, Any]] = []
    for block in page.body:
        body.extend(_block(block.block_type, block.value, pictures))
    lead = _picture(page.lead_image, pictures)
    caption = " — ".join(part for part in (page.lead_caption, page.lead_credit) if part)
    return Story(
        number=number,
        title=page.title,
        standfirst=page.standfirst,
        byline=_byline(page),
        published=published,
        date_text=formats.date_format(timezone.localtime(published), "DATE_FORMAT"),
        url=_canonical(page, language_roots()),
        lead=lead,
        lead_caption=caption,
        body=body,
    )


def _e(text: Any) -> str:
    return html.escape(str(text or ""), quote=True)


def _figure(
    image: Any, caption: str, credit: str, pictures: list[Picture]
) -> list[tuple[str, Any]]:
    picture = _picture(image, pictures)
    if picture is None:
        return []
    words = " — ".join(part for part in (caption, credit) if part)
    return [("figure", (picture, words))]


def _block(kind: str, value: Any, pictures: list[Picture]) -> list[tuple[str, Any]]:
    if kind == "paragraph":
        return [("html", clean_rich_text(expand_db_html(value.source)))]
    if kind == "subheading":
        return [("html", f"<h3>{_e(value)}</h3>")]
    if kind == "quote":
        who = ", ".join(part for part in (value.get("speaker"), value.get("source")) if part)
        attribution = f'<p class="attribution">— {_e(who)}</p>' if who else ""
        return [("html", f"<blockquote><p>{_e(value.get('text'))}</p>{attribution}</blockquote>")]
    if kind == "image":
        return _figure(value.get("image"), value.get("caption"), value.get("credit"), pictures)
    if kind == "gallery":
        found: list[tuple[str, Any]] = []
        if value.get("title"):
            found.append(("html", f"<h3>{_e(value['title'])}</h3>"))
        for item in value.get("images") or []:
            found.extend(
                _figure(item.get("image"), item.get("caption"), item.get("credit"), pictures)
            )
        return found
    if kind == "link":
        text = f"<strong>{_e(value.get('title'))}</strong>"
        if value.get("description"):
            text += f" — {_e(value['description'])}"
        return [("html", f'<p class="link">{text}<br/>{_link(value.get("url") or "", "")}</p>')]
    if kind == "document":
        document = value.get("document")
        title = value.get("title") or getattr(document, "title", "")
        text = f"<strong>{_e(title)}</strong>"
        if value.get("description"):
            text += f" — {_e(value['description'])}"
        return [("html", f'<p class="document">{_e(_("Document"))}: {text}</p>')]
    if kind in ("audio", "video"):
        label = _("Audio") if kind == "audio" else _("Video")
        parts = [f'<p class="media"><strong>{_e(label)}</strong>']
        if value.get("caption"):
            parts.append(f" — {_e(value['caption'])}")
        parts.append("</p>")
        transcript = value.get("transcript") or ""
        if transcript:
            parts.append(f'<p class="media">{_e(_("Transcript"))}:</p>')
            parts.extend(f"<p>{_e(line)}</p>" for line in transcript.splitlines() if line.strip())
        return [("html", "".join(parts))]
    return []


def _link(url: str, text: str) -> str:
    """A link in a story's text: to the site itself, a link; elsewhere, the address written
    out (a reader offline copies it; the file never leads a reader's phone to another site)."""
    url = url.strip()
    if url.startswith("/") and not url.startswith("//"):
        url = absolute(url)
    if _same_origin(url):
        return f'<a href="{_e(url)}">{_e(text or url)}</a>'
    if not url or not url.lower().startswith(("http://", "https://")):
        return _e(text)
    return f"{_e(text)} ({_e(url)})" if text else _e(url)


def _same_origin(url: str) -> bool:
    site = urlsplit(settings.SITE_URL)
    found = urlsplit(url)
    return bool(url) and (found.scheme, found.netloc) == (site.scheme, site.netloc)


class _Cleaner(HTMLParser):
    """Rich text as well-formed XHTML with only the tags a story's text uses."""

    KEEP = {"p", "b", "strong", "i", "em", "ul", "ol", "li", "sup", "sub"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.link: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and self.link is None:
            self.link = (dict(attrs).get("href") or "", [])
        elif tag == "br":
            self._write("<br/>")
        elif tag in self.KEEP and self.link is None:
            self.out.append(f"<{tag}>")
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.link is not None:
            url, text = self.link
            self.link = None
            self.out.append(_link(url, "".join(text)))
        elif tag in self.open and self.link is None:
            while self.open:
                last = self.open.pop()
                self.out.append(f"</{last}>")
                if last == tag:
                    break

    def handle_data(self, data: str) -> None:
        if self.link is not None:
            self.link[1].append(data)
        else:
            self.out.append(_e(data))

    def _write(self, markup: str) -> None:
        if self.link is None:
            self.out.append(markup)

    def result(self) -> str:
        if self.link is not None:
            self.handle_endtag("a")
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open = []
        return "".join(self.out)


def clean_rich_text(markup: str) -> str:
    cleaner = _Cleaner()
    cleaner.feed(markup)
    cleaner.close()
    text = cleaner.result()
    return text if text.lstrip().startswith(("<p", "<ul", "<ol")) else f"<p>{text}</p>"


# --- writing the files -----------------------------------------------------------------------

CSS = """
body{margin:0 auto;max-width:40em;padding:0 1em;font-family:Georgia,serif;line-height:1.5;color:#1a1a1a;background:#fff}
header.edition{border-bottom:3px solid #1a1a1a;margin-bottom:1.5em}
header.edition p{margin:.2em 0;font-family:sans-serif;font-size:.9em}
h1{font-size:1.6em;line-height:1.2}
h2{font-size:1.4em;line-height:1.2;margin:.2em 0}
h3{font-size:1.1em}
nav ol{padding-left:1.2em}
article{border-top:1px solid #bbb;padding-top:1em;margin-top:2em}
.standfirst{font-size:1.1em;font-style:italic}
.meta,.attribution,figcaption,.canonical{font-family:sans-serif;font-size:.85em;color:#555}
img{max-width:100%;height:auto;display:block}
figure{margin:1em 0}
blockquote{margin:1em 0;padding-left:1em;border-left:3px solid #999;font-size:1.1em}
a{color:#1a4f8b}
""".strip()


def title(week: Week) -> str:
    return _("%(site)s — week %(week)s, %(year)s") % {
        "site": settings.SITE_NAME,
        "week": week.week,
        "year": week.year,
    }


def dates(week: Week) -> str:
    start, end = week.bounds()
    first = formats.date_format(start, "DATE_FORMAT")
    last = formats.date_format(end - timedelta(days=1), "DATE_FORMAT")
    return f"{first} – {last}"


def _story_markup(story: Story, image: Callable[[Picture], str], heading: str = "h2") -> str:
    parts = [f"<header><{heading}>{_e(story.title)}</{heading}>"]
    parts.append(f'<p class="standfirst">{_e(story.standfirst)}</p>')
    meta = " · ".join(part for part in (_e(story.byline), _e(story.date_text)) if part)
    parts.append(f'<p class="meta">{meta}</p></header>')
    if story.lead is not None:
        parts.append(_figure_markup(story.lead, story.lead_caption, image))
    for kind, value in story.body:
        if kind == "html":
            parts.append(value)
        else:
            picture, words = value
            parts.append(_figure_markup(picture, words, image))
    link = f'<a href="{_e(story.url)}">{_e(story.url)}</a>'
    parts.append(f'<p class="canonical">{_e(_("Read it on our site:"))} {link}</p>')
    return "\n".join(parts)


def _figure_markup(picture: Picture, words: str, image: Callable[[Picture], str]) -> str:
    caption = f"<figcaption>{_e(words)}</figcaption>" if words else ""
    return (
        f'<figure><img src="{image(picture)}" alt="{_e(words)}" width="{picture.width}" '
        f'height="{picture.height}"/>{caption}</figure>'
    )


def _html(week: Week, stories: list[Story]) -> bytes:
    language = week.language
    name = title(week)
    contents = "".join(
        f'<li><a href="#story-{story.number}">{_e(story.title)}</a></li>' for story in stories
    )
    articles = "\n".join(
        f'<article id="story-{story.number}">\n{_story_markup(story, Picture.data_uri)}\n</article>'
        for story in stories
    )
    empty = "" if stories else f"<p>{_e(_('No stories this week.'))}</p>"
    page = f"""<!DOCTYPE html>
<html lang="{_e(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(name)}</title>
<style>{CSS}</style>
</head>
<body>
<header class="edition">
<h1>{_e(name)}</h1>
<p>{_e(dates(week))}</p>
<p>{_e(_("This file holds the week's stories and opens without a connection. Pass it on."))}</p>
</header>
<nav><h2>{_e(_("In this edition"))}</h2><ol>{contents}</ol></nav>
<main>
{empty}{articles}
</main>
<footer><p class="meta"><a href="{_e(absolute(f"/{language}/editions/"))}">{_e(absolute(f"/{language}/editions/"))}</a></p></footer>
</body>
</html>
"""
    return page.encode("utf-8")


def _xhtml(language: str, title: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
        f'lang="{_e(language)}" xml:lang="{_e(language)}">\n'
        f'<head><meta charset="utf-8"/><title>{_e(title)}</title>'
        '<link rel="stylesheet" type="text/css" href="style.css"/></head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    ).encode()


def _modified(stories: list[Story], week: Week) -> datetime:
    newest = max((story.published for story in stories), default=None)
    return (newest or week.bounds()[0]).astimezone(UTC).replace(microsecond=0)


def _epub(week: Week, stories: list[Story], pictures: list[Picture]) -> bytes:
    language = week.language
    name = title(week)
    modified = _modified(stories, week)
    identifier = uuid.uuid5(uuid.NAMESPACE_URL, absolute(week.path("epub")))
    chapters: list[tuple[str, str, bytes]] = []  # (name, title, bytes)
    cover = f"<h1>{_e(name)}</h1><p>{_e(dates(week))}</p>" + (
        "" if stories else f"<p>{_e(_('No stories this week.'))}</p>"
    )
    chapters.append(("title.xhtml", name, _xhtml(language, name, cover)))
    for story in stories:
        markup = _story_markup(story, lambda picture: picture.name, heading="h1")
        chapters.append(
            (
                f"story-{story.number}.xhtml",
                story.title,
                _xhtml(language, story.title, f"<article>\n{markup}\n</article>"),
            )
        )
    nav_items = "".join(
        f'<li><a href="{name}">{_e(heading)}</a></li>' for name, heading, _data in chapters
    )
    nav = _xhtml(
        language,
        _("Contents"),
        f'<nav epub:type="toc" id="toc"><h1>{_e(_("Contents"))}</h1><ol>{nav_items}</ol></nav>',
    )
    items = [
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
        '<item id="style" href="style.css" media-type="text/css"/>',
        *(
            f'<item id="c{n}" href="{name}" media-type="application/xhtml+xml"/>'
            for n, (name, _heading, _data) in enumerate(chapters)
        ),
        *(
            f'<item id="i{n}" href="{picture.name}" media-type="image/jpeg"/>'
            for n, picture in enumerate(pictures, start=1)
        ),
    ]
    spine = "".join(f'<itemref idref="c{n}"/>' for n in range(len(chapters)))
    package = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="{_e(language)}">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="uid">urn:uuid:{identifier}</dc:identifier>
<dc:title>{_e(name)}</dc:title>
<dc:language>{_e(language)}</dc:language>
<dc:publisher>{_e(settings.SITE_NAME)}</dc:publisher>
<dc:source>{_e(absolute(f"/{language}/editions/"))}</dc:source>
<meta property="dcterms:modified">{modified.strftime("%Y-%m-%dT%H:%M:%SZ")}</meta>
</metadata>
<manifest>
{chr(10).join(items)}
</manifest>
<spine>{spine}</spine>
</package>
""".encode()
    container = b"""<?xml version="1.0" encoding="utf-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""
    entries: list[tuple[str, bytes]] = [
        ("META-INF/container.xml", container),
        ("EPUB/package.opf", package),
        ("EPUB/nav.xhtml", nav),
        ("EPUB/style.css", CSS.encode()),
        *((f"EPUB/{name}", data) for name, _heading, data in chapters),
        *((f"EPUB/{picture.name}", picture.data) for picture in pictures),
    ]
    stamp = max(modified, datetime(1980, 1, 1, tzinfo=UTC)).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        # The mimetype first and stored, as readers identify the file by it.
        book.writestr(_entry("mimetype", stamp), EPUB_MIMETYPE, compress_type=zipfile.ZIP_STORED)
        for name, data in entries:
            kind = zipfile.ZIP_STORED if name.endswith(".jpg") else zipfile.ZIP_DEFLATED
            book.writestr(_entry(name, stamp), data, compress_type=kind)
    return buffer.getvalue()


def _entry(name: str, stamp: Iterable[int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=tuple(stamp))  # type: ignore[arg-type]
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
