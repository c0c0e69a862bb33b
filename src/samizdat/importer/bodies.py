"""An old post's body (WordPress block markup or classic HTML, Ghost's HTML) as StreamField data.

What has an equivalent here becomes a block of ``ArticleBodyBlock`` or ``InfoBodyBlock``; rich
text keeps only what ``RICH_TEXT_FEATURES`` allows (bold, italic, links, lists). Everything else
is turned into the nearest thing or dropped, and each loss is one line of ``Converted.notes``.
Scripts, iframes, styles and event handlers are never kept; embeds become link cards, which
load nothing from the other site; files are copied in through ``media.Resolver``.
"""

from __future__ import annotations

import json
import re
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, Comment, MarkupResemblesLocatorWarning, NavigableString, Tag
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from requests.utils import requote_uri

from samizdat.importer import records
from samizdat.importer.media import MediaUnavailable, Resolver, without_query

PageType = Literal["article", "info"]
SUBHEADING_MAX = 120
CAPTION_MAX = 300
CREDIT_MAX = 120
SPEAKER_MAX = 120
SOURCE_MAX = 200
TITLE_MAX = 200
GALLERY_MAX = 60
MAX_REUSABLE = 50  # reusable blocks expanded in one body

BLOCK_COMMENT = re.compile(
    r"<!--\s+(?P<closer>/)?wp:(?P<name>[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)?)\s+"
    r"(?P<attrs>\{.*?\}\s+)?(?P<void>/)?-->",
    re.DOTALL,
)
# Blocks whose HTML says all they are: converted from it with nothing to report.
HTML_EQUIVALENTS = frozenset(
    {"paragraph", "heading", "list", "list-item", "quote", "pullquote", "image", "gallery"}
    | {"audio", "video", "file"}
)
# Blocks WordPress fills in itself when a page is shown: nothing of them is in the post.
DYNAMIC_PREFIXES = (
    "latest-",
    "archives",
    "calendar",
    "categories",
    "tag-cloud",
    "rss",
    "search",
    "page-list",
    "navigation",
    "loginout",
    "post-",
    "query",
    "comment",
    "site-",
    "avatar",
    "social-link",
    "read-more",
    "term-description",
    "home-link",
)
CONTAINER_BLOCKS = {"group", "columns", "column", "cover", "media-text", "row", "stack"}
DOCUMENT_EXTENSIONS = {
    "pdf",
    "doc",
    "docx",
    "odt",
    "rtf",
    "xls",
    "xlsx",
    "ods",
    "csv",
    "zip",
    "txt",
}
AUDIO_EXTENSIONS = {"mp3", "m4a", "ogg", "oga", "opus", "wav"}
VIDEO_EXTENSIONS = {"mp4", "m4v", "webm", "ogv", "mov"}
PROVIDERS = {
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "vimeo.com": "Vimeo",
    "twitter.com": "Twitter",
    "x.com": "X",
    "instagram.com": "Instagram",
    "facebook.com": "Facebook",
    "soundcloud.com": "SoundCloud",
    "spotify.com": "Spotify",
    "tiktok.com": "TikTok",
    "flickr.com": "Flickr",
    "wordpress.tv": "WordPress.tv",
    "dailymotion.com": "Dailymotion",
    "codepen.io": "CodePen",
    "reddit.com": "Reddit",
    "mastodon.social": "Mastodon",
    "google.com": "Google",
}
VIDEO_HOSTS = {"YouTube", "Vimeo", "WordPress.tv", "Dailymotion", "TikTok"}
AUDIO_HOSTS = {"SoundCloud", "Spotify"}
POST_HOSTS = {"Twitter", "X", "Instagram", "Facebook", "Reddit", "Mastodon"}
BOLD = {"b", "strong"}
ITALIC = {"i", "em", "cite", "dfn", "var"}
STRUCK = {"s", "strike", "del"}
SCRIPTED = {"sup", "sub"}
SILENT_DROP = {"style", "link", "meta", "noscript", "template", "title", "head", "colgroup"}
NOISY_DROP = {"form", "input", "button", "select", "textarea", "svg", "canvas", "math", "map"}
FRAMES = {"iframe", "embed", "object", "frame"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "blockquote",
    "figure",
    "figcaption",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "pre",
    "table",
    "hr",
    "center",
    "address",
    "details",
    "summary",
    "nav",
    *HEADINGS,
}
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}
KNOWN_SHORTCODES = ("caption", "wp_caption", "gallery", "embed", "audio", "video", "playlist")


@dataclass
class Converted:
    """StreamField raw data for a body, and what could not be carried over."""

    blocks: list[dict[str, Any]]
    notes: list[str]


class Break:
    """A paragraph break inside a run of inline content."""


BREAK = Break()


@dataclass
class Emitted:
    """Blocks met inside inline content (an image in a paragraph): placed after the text."""

    blocks: list[dict[str, Any]]


Piece = str | Break | Emitted


@dataclass
class Context:
    resolver: Resolver
    page_type: PageType
    reusable: dict[str, str]
    attachments: dict[str, str]
    notes: Counter[str] = field(default_factory=Counter)
    expanding: set[str] = field(default_factory=set)
    expanded: int = 0  # reusable blocks put in so far: one body may hold only so many

    def note(self, text: str) -> None:
        self.notes[text] += 1

    def allows(self, kind: str) -> bool:
        return self.page_type == "article" or kind in {"paragraph", "subheading", "quote", "image"}


def block(kind: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "value": value, "id": str(uuid.uuid4())}


def convert_body(
    html: str,
    *,
    resolver: Resolver,
    page_type: PageType = "article",
    reusable: dict[str, str] | None = None,
    attachments: dict[str, str] | None = None,
) -> Converted:
    """The body ``html`` as blocks of an article (or an information page), with notes.

    ``reusable``: WordPress reusable blocks' markup by id (``wp:block {"ref": N}``);
    ``attachments``: attachment addresses by id (``[gallery ids="…"]``).
    """
    context = Context(
        resolver=resolver,
        page_type=page_type,
        reusable={str(k): v for k, v in (reusable or {}).items()},
        attachments={str(k): v for k, v in (attachments or {}).items()},
    )
    blocks = convert_markup(html or "", context)
    blocks = downgrade(blocks, context)
    notes = [text if count == 1 else f"{text} ({count}×)" for text, count in context.notes.items()]
    return Converted(blocks=blocks, notes=notes)


def convert_markup(markup: str, context: Context) -> list[dict[str, Any]]:
    if BLOCK_COMMENT.search(markup):
        return convert_blocks(parse_blocks(markup), context)
    return convert_html(markup, context, autop=True)


def downgrade(blocks: list[dict[str, Any]], context: Context) -> list[dict[str, Any]]:
    """An information page's body has no galleries, link cards, documents or media."""
    if context.page_type == "article":
        return blocks
    result: list[dict[str, Any]] = []
    for item in blocks:
        kind, value = item["type"], item["value"]
        if context.allows(kind):
            result.append(item)
        elif kind == "gallery":
            context.note(_("a gallery became single images: an information page has no galleries"))
            for entry in value["images"]:
                image = entry["value"]
                result.append(
                    block(
                        "image",
                        {
                            "image": image["image"],
                            "caption": image["caption"],
                            "credit": image["credit"],
                        },
                    )
                )
        elif kind == "link":
            context.note(_("a link card became a link: an information page has no link cards"))
            result.append(
                paragraph(f'<a href="{escape(value["url"])}">{escape(value["title"])}</a>')
            )
        else:
            context.note(_("a %(kind)s was dropped: an information page has none") % {"kind": kind})
    return result


def parsed(markup: str) -> BeautifulSoup:
    """The HTML parsed by Python's own parser (a body that is only an address is fine too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "html.parser")


# WordPress block markup


@dataclass
class WPBlock:
    name: str
    attrs: dict[str, Any]
    content: list[str | WPBlock] = field(default_factory=list)

    def html(self) -> str:
        return "".join(part if isinstance(part, str) else part.html() for part in self.content)


def parse_blocks(markup: str) -> list[str | WPBlock]:
    """The top-level blocks and the HTML between them (WordPress's own block grammar)."""
    root: list[str | WPBlock] = []
    stack: list[WPBlock] = []
    position = 0

    def add(part: str | WPBlock) -> None:
        (stack[-1].content if stack else root).append(part)

    for match in BLOCK_COMMENT.finditer(markup):
        if match.start() > position:
            add(markup[position : match.start()])
        position = match.end()
        name = match["name"].removeprefix("core/")
        if match["closer"]:
            # Close up to the matching opener; a stray closer is ignored.
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth].name == name:
                    del stack[depth:]
                    break
            continue
        try:
            attrs = json.loads(match["attrs"]) if match["attrs"] else {}
        except ValueError:
            attrs = {}
        new = WPBlock(name=name, attrs=attrs if isinstance(attrs, dict) else {})
        add(new)
        if not match["void"]:
            stack.append(new)
    if position < len(markup):
        add(markup[position:])
    return root


def convert_blocks(parts: list[str | WPBlock], context: Context) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, str):
            if part.strip():
                result.extend(convert_html(part, context, autop=True))
        else:
            result.extend(convert_block(part, context))
    return result


def convert_block(item: WPBlock, context: Context) -> list[dict[str, Any]]:
    result = block_by_name(item, context)
    name = item.name
    named = any(f"wp:{name}" in note for note in context.notes)
    if not result and not named:
        context.note(_("block wp:%(name)s had nothing that could be kept") % {"name": name})
    return result


def block_by_name(item: WPBlock, context: Context) -> list[dict[str, Any]]:
    name, attrs = item.name, item.attrs
    if name == "block":
        return reusable_block(item, context)
    if name == "embed" or name.startswith("core-embed/"):
        url = str(attrs.get("url") or "")
        if not url:
            soup = parsed(item.html())
            wrapper = soup.find(class_="wp-block-embed__wrapper")
            url = wrapper.get_text(strip=True) if isinstance(wrapper, Tag) else ""
        soup = parsed(item.html())
        caption = soup.find("figcaption")
        description = inline_text(caption) if isinstance(caption, Tag) else ""
        return link_card(url, context, description=description, what=f"wp:{name}")
    if name in {"more", "nextpage"}:
        context.note(
            _("wp:%(name)s dropped: a story is one page here, its summary set apart")
            % {"name": name}
        )
        return []
    if name in {"spacer", "separator"}:
        context.note(_("wp:%(name)s dropped: no spacing or dividing lines here") % {"name": name})
        return []
    if name in CONTAINER_BLOCKS:
        context.note(
            _("wp:%(name)s: its contents were kept one after the other, without its layout")
            % {"name": name}
        )
        result: list[dict[str, Any]] = []
        background = str(attrs.get("url") or "")
        if name == "cover" and background and "<img" not in item.html():
            if attrs.get("backgroundType") == "video":
                context.note(_("wp:cover: its background video was dropped"))
            else:
                result.extend(
                    Walker(context, autop=False).image_of(records.ImageRef(url=background))
                )
        for part in item.content:
            if isinstance(part, WPBlock):
                result.extend(convert_block(part, context))
            elif part.strip():
                result.extend(convert_html(part, context, autop=False))
        return result
    if name in {"code", "preformatted", "verse"}:
        context.note(
            _("wp:%(name)s became a paragraph with its line breaks: no fixed-width text here")
            % {"name": name}
        )
    if name in {"buttons", "button"}:
        context.note(_("wp:%(name)s became a link in a paragraph") % {"name": name})
    if name == "shortcode":
        return convert_html(item.html(), context, autop=True)
    if name == "freeform":
        return convert_html(item.html(), context, autop=True)
    # Blocks inside one converted as a whole are named with it, so none goes unreported.
    named = " ".join(f"wp:{inner}" for inner in [name, *inner_names(item)])
    if not item.html().strip():
        if name.startswith(DYNAMIC_PREFIXES) or "/" in name:
            context.note(
                _("block %(name)s dropped: WordPress filled it in when the page was shown")
                % {"name": named}
            )
        else:
            context.note(_("block %(name)s dropped: it was empty") % {"name": named})
        return []
    if name.startswith(DYNAMIC_PREFIXES):
        context.note(
            _("block %(name)s: WordPress filled it in when the page was shown; kept as text")
            % {"name": named}
        )
    elif name not in HTML_EQUIVALENTS and not any(f"wp:{name}" in note for note in context.notes):
        context.note(_("block %(name)s became rich text") % {"name": named})
    return convert_html(item.html(), context, autop=False)


def inner_names(item: WPBlock) -> list[str]:
    """The kinds of the blocks inside ``item``, at any depth, each once, in order."""
    names: dict[str, None] = {}
    for part in item.content:
        if isinstance(part, WPBlock):
            names.update(dict.fromkeys([part.name, *inner_names(part)]))
    return list(names)


def reusable_block(item: WPBlock, context: Context) -> list[dict[str, Any]]:
    ref = str(item.attrs.get("ref", ""))
    markup = context.reusable.get(ref)
    if markup is None or ref in context.expanding:
        context.note(
            _("reusable block wp:block %(ref)s dropped: it is not in the export") % {"ref": ref}
        )
        return []
    if context.expanded >= MAX_REUSABLE:
        # Blocks that each hold the next twice would grow without end.
        context.note(
            _("reusable block wp:block %(ref)s dropped: more than %(max)d in one post")
            % {"ref": ref, "max": MAX_REUSABLE}
        )
        return []
    context.expanded += 1
    context.expanding.add(ref)
    try:
        return convert_markup(markup, context)
    finally:
        context.expanding.discard(ref)


# Shortcodes and bare addresses (classic posts)

SHORTCODE = re.compile(
    r"\[(?P<open>\[?)(?P<name>[A-Za-z][\w-]*)(?P<attrs>(?:\s[^\]]*?)?)(?P<void>/)?\]"
    r"(?:(?P<inner>.*?)\[/(?P=name)\])?(?P<close>\]?)",
    re.DOTALL,
)
ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s'"]+))""")
OWN_LINE_URL = re.compile(r"^[ \t]*(https?://[^\s<>\"]+)[ \t]*$", re.MULTILINE)


def shortcode_attrs(text: str) -> dict[str, str]:
    return {m[1].lower(): m[2] or m[3] or m[4] or "" for m in ATTRIBUTE.finditer(text)}


def expand_shortcodes(markup: str, context: Context, *, autop: bool) -> str:
    """Shortcodes as HTML this module reads (``<samizdat-…>`` elements); bare addresses on
    their own line (WordPress embeds them) as embeds."""

    def replace(match: re.Match[str]) -> str:
        name, attrs_text, inner = match["name"].lower(), match["attrs"], match["inner"]
        if match["open"] and match["close"]:
            return match[0][1:-1]  # [[escaped]] is the text itself
        attrs = shortcode_attrs(attrs_text)
        if name in ("caption", "wp_caption"):
            body = inner or ""
            caption = attrs.get("caption", "")
            image_part = re.match(r"\s*(?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?", body)
            if image_part:
                caption = caption or body[image_part.end() :]
                body = image_part[0]
            return f"<figure>{body}<figcaption>{caption}</figcaption></figure>"
        if name == "gallery":
            return f'<samizdat-gallery ids="{escape(attrs.get("ids", "") or attrs.get("include", ""))}"></samizdat-gallery>'
        if name == "embed":
            return f'<samizdat-embed url="{escape((inner or "").strip())}"></samizdat-embed>'
        if name in ("audio", "video"):
            sources = [
                v
                for k, v in attrs.items()
                if k in ("src", "mp3", "m4a", "ogg", "wav", "mp4", "webm", "ogv", "m4v")
            ]
            poster = attrs.get("poster", "")
            src = sources[0] if sources else ""
            return f'<samizdat-media kind="{name}" src="{escape(src)}" poster="{escape(poster)}"></samizdat-media>'
        if name == "playlist":
            context.note(_("shortcode [playlist] dropped: no playlists here"))
            return ""
        # An unknown shortcode only when it looks like one: "[sic]" or "[Updated]" stay text.
        url = re.search(r"https?://[^\s\"'\]]+", attrs_text)
        if inner is None and not match["void"] and "=" not in attrs_text and url is None:
            return match[0]
        if url is not None and inner is None:
            context.note(_("shortcode [%(name)s] became a link card") % {"name": name})
            return f'<samizdat-embed url="{escape(url[0])}"></samizdat-embed>'
        if inner and inner.strip():
            context.note(
                _("shortcode [%(name)s] has no equivalent here: its text was kept") % {"name": name}
            )
            return inner
        context.note(_("shortcode [%(name)s] dropped: no equivalent here") % {"name": name})
        return ""

    if "[" in markup:
        markup = SHORTCODE.sub(replace, markup)
    if autop and "http" in markup:
        markup = OWN_LINE_URL.sub(
            lambda m: f'<samizdat-embed url="{escape(m[1])}"></samizdat-embed>', markup
        )
    return markup


# HTML


def convert_html(markup: str, context: Context, *, autop: bool) -> list[dict[str, Any]]:
    """Blocks from an HTML fragment; ``autop``: blank lines are paragraph breaks and single
    newlines line breaks, as WordPress shows classic posts."""
    markup = expand_shortcodes(markup, context, autop=autop)
    soup = parsed(markup)
    return Walker(context, autop).container(soup)


class Walker:
    def __init__(self, context: Context, autop: bool) -> None:
        self.context = context
        self.autop = autop

    @property
    def resolver(self) -> Resolver:
        return self.context.resolver

    def note(self, text: str) -> None:
        self.context.note(text)

    # Block level

    def container(self, node: Tag) -> list[dict[str, Any]]:
        """The blocks of an element's children: inline runs become paragraphs."""
        result: list[dict[str, Any]] = []
        run: list[Piece] = []
        for child in list(node.children):
            if isinstance(child, Tag) and (
                child.name in BLOCK_TAGS or child.name.startswith("samizdat-")
            ):
                result.extend(paragraphs(run))
                run = []
                result.extend(self.element(child))
            else:
                run.extend(self.inline(child, loose=True))
        result.extend(paragraphs(run))
        return result

    def element(self, node: Tag) -> list[dict[str, Any]]:
        name = node.name
        classes = set(node.get_attribute_list("class") or [])
        if name == "samizdat-embed":
            return link_card(str(node.get("url", "")), self.context, what="[embed]")
        if name == "samizdat-gallery":
            return self.shortcode_gallery(str(node.get("ids", "")))
        if name == "samizdat-media":
            return self.media(
                str(node.get("src", "")), node.get("kind") == "video", str(node.get("poster", ""))
            )
        if name in HEADINGS:
            return self.heading(node)
        if name == "p":
            return paragraphs(self.children_inline(node))
        if name in ("ul", "ol"):
            if classes & {"blocks-gallery-grid", "wp-block-gallery"}:
                return self.gallery(node)
            return self.bullets(node)
        if name == "blockquote" or (name == "aside" and not node.find(BLOCK_TAGS - {"p"})):
            return self.quote(node, classes)
        if name == "figure":
            return self.figure(node, classes)
        if name == "pre":
            return self.preformatted(node)
        if name == "table":
            return self.table(node)
        if name == "hr":
            self.note(_("a dividing line dropped: none here"))
            return []
        if name == "figcaption":
            return paragraphs(self.children_inline(node))
        return self.division(node, classes)

    def division(self, node: Tag, classes: set[str]) -> list[dict[str, Any]]:
        """A ``div`` and its like: Ghost's cards and WordPress's wrappers, else its contents."""
        if "kg-gallery-card" in classes or "gallery" in classes or "tiled-gallery" in classes:
            return self.gallery(node)
        if "kg-bookmark-card" in classes:
            return self.bookmark(node)
        if "kg-embed-card" in classes:
            return self.embed_figure(node)
        if classes & {"kg-audio-card", "kg-video-card", "wp-block-audio", "wp-block-video"}:
            return self.media_element(node)
        if "kg-file-card" in classes or "wp-block-file" in classes:
            return self.file(node)
        if "kg-callout-card" in classes:
            self.note(_("a callout became a plain paragraph"))
            pieces: list[Piece] = []
            for part in node.find_all(class_=["kg-callout-emoji", "kg-callout-text"]):
                pieces.extend([*self.children_inline(part), " "])
            return paragraphs(pieces or self.children_inline(node))
        if "kg-toggle-card" in classes:
            self.note(_("a toggle became a subheading and its text, always shown"))
        if "kg-product-card" in classes:
            self.note(_("a product card became its picture, title and text"))
        if "kg-header-card" in classes:
            self.note(_("a header card became subheadings: no background picture here"))
        if "kg-button-card" in classes or "wp-block-button" in classes:
            links = [a for a in node.find_all("a") if a.get("href")]
            if "kg-button-card" in classes:
                self.note(_("a button became a link in a paragraph"))
            return [item for a in links for item in paragraphs(self.inline(a, loose=False))]
        if node.name == "details":
            self.note(_("a details box became its text, always shown"))
        return self.container(node)

    def heading(self, node: Tag) -> list[dict[str, Any]]:
        pieces = self.children_inline(node)
        emitted = [item for piece in pieces if isinstance(piece, Emitted) for item in piece.blocks]
        text = collapse(node.get_text(" "))
        if not text:
            return emitted
        if len(text) > SUBHEADING_MAX:
            self.note(
                _("a heading longer than %(max)s characters became a bold paragraph")
                % {"max": SUBHEADING_MAX}
            )
            return [paragraph(f"<b>{escape(text)}</b>"), *emitted]
        return [block("subheading", text), *emitted]

    def bullets(self, node: Tag) -> list[dict[str, Any]]:
        emitted: list[dict[str, Any]] = []
        html = self.list_html(node, emitted)
        return ([paragraph(html, wrap=False)] if html else []) + emitted

    def list_html(self, node: Tag, emitted: list[dict[str, Any]]) -> str:
        items: list[str] = []
        for li in node.find_all("li", recursive=False):
            nested = ""
            pieces: list[Piece] = []
            for child in li.children:
                if isinstance(child, Tag) and child.name in ("ul", "ol"):
                    nested += self.list_html(child, emitted)
                else:
                    pieces.extend(self.inline(child, loose=False))
            text = join_inline(pieces, emitted, separator="<br/>")
            if text or nested:
                items.append(f"<li>{text}{nested}</li>")
        if not items:
            return ""
        tag = "ol" if node.name == "ol" else "ul"
        return f"<{tag}>{''.join(items)}</{tag}>"

    def quote(self, node: Tag, classes: set[str]) -> list[dict[str, Any]]:
        if classes & {"twitter-tweet", "instagram-media", "tiktok-embed", "bluesky-embed"}:
            links = [str(a["href"]) for a in node.find_all("a", href=True)]
            url = (
                links[-1]
                if links
                else str(node.get("cite", "") or node.get("data-instgrm-permalink", ""))
            )
            first = node.find("p")
            description = collapse(first.get_text(" ")) if isinstance(first, Tag) else ""
            return link_card(url, self.context, description=description, what="embedded post")
        if node.name != "blockquote" and isinstance(inner := node.find("blockquote"), Tag):
            node = inner
        cite = node.find(["cite", "footer"])
        speaker = collapse(cite.get_text(" ")).lstrip("—–―- ") if isinstance(cite, Tag) else ""
        if isinstance(cite, Tag):
            cite.extract()
        texts = [collapse(p.get_text(" ")) for p in node.find_all("p")] or [
            collapse(node.get_text(" "))
        ]
        text = "\n".join(t for t in texts if t)
        if not text:
            return []
        if speaker:
            source = ""
            if len(speaker) > SPEAKER_MAX:
                speaker, _comma, source = speaker.partition(",")
                speaker, source = speaker.strip()[:SPEAKER_MAX], source.strip()[:SOURCE_MAX]
            if node.find("a"):
                self.note(_("links inside a quote were kept as text"))
            return [block("quote", {"text": text, "speaker": speaker, "source": source})]
        self.note(_("a quote without a speaker became an italic paragraph"))
        result: list[dict[str, Any]] = []
        for piece_list in self.split_paragraphs(node):
            result.extend(paragraphs(wrap_pieces(piece_list, "<i>", "</i>")))
        return result

    def split_paragraphs(self, node: Tag) -> list[list[Piece]]:
        groups: list[list[Piece]] = []
        loose = False
        for child in node.children:
            if isinstance(child, Tag) and child.name in BLOCK_TAGS:
                groups.append(self.children_inline(child))
                loose = False
            else:
                if not loose:
                    groups.append([])
                    loose = True
                groups[-1].extend(self.inline(child, loose=True))
        return groups

    def figure(self, node: Tag, classes: set[str]) -> list[dict[str, Any]]:
        if classes & {"wp-block-gallery", "kg-gallery-card", "gallery"}:
            return self.gallery(node)
        if "kg-bookmark-card" in classes:
            return self.bookmark(node)
        if classes & {"wp-block-embed", "kg-embed-card"} or (
            node.find(FRAMES) and not node.find("img")
        ):
            return self.embed_figure(node)
        if node.find(["audio", "video"]):
            return self.media_element(node)
        if node.find("blockquote"):
            quote = node.find("blockquote")
            assert isinstance(quote, Tag)
            cite = node.find("cite")
            if isinstance(cite, Tag) and cite.find_parent("blockquote") is None:
                quote.append(cite.extract())
            return self.quote(quote, set())
        if node.find("table"):
            return self.container(node)
        images = node.find_all("img")
        if len(images) > 1:
            return self.gallery(node)
        if len(images) == 1:
            caption_node = node.find("figcaption")
            caption = inline_text(caption_node) if isinstance(caption_node, Tag) else ""
            if isinstance(caption_node, Tag) and caption_node.find("a"):
                self.note(_("links in an image caption were kept as text"))
            link = images[0].find_parent("a")
            if isinstance(link, Tag) and not points_at_file(str(link.get("href") or "")):
                self.note(_("the link of an image was dropped: images here link nowhere"))
            return self.image(images[0], caption=caption)
        return self.container(node)

    def preformatted(self, node: Tag) -> list[dict[str, Any]]:
        lines = node.get_text().strip("\n").split("\n")
        if not any(line.strip() for line in lines):
            return []
        if "wp-block-verse" not in (node.get_attribute_list("class") or []):
            self.note(_("preformatted text became a paragraph: no fixed-width text here"))
        return [paragraph("<br/>".join(escape(line) for line in lines))]

    def table(self, node: Tag) -> list[dict[str, Any]]:
        rows = node.find_all("tr")
        result: list[dict[str, Any]] = []
        for row in rows:
            cells = [collapse(cell.get_text(" ")) for cell in row.find_all(["td", "th"])]
            text = " | ".join(escape(cell) for cell in cells if cell)
            if text:
                bold = all(cell.name == "th" for cell in row.find_all(["td", "th"]))
                result.append(paragraph(f"<b>{text}</b>" if bold else text))
        caption = node.find("caption")
        if isinstance(caption, Tag) and collapse(caption.get_text(" ")):
            result.insert(0, paragraph(f"<b>{escape(collapse(caption.get_text(' ')))}</b>"))
        if result:
            self.note(_("a table became one paragraph per row: no tables here"))
        for image in node.find_all("img"):
            result.extend(self.image(image))
        return result

    # Images, galleries, embeds, files, media

    def image_ref(self, node: Tag, caption: str = "") -> records.ImageRef | None:
        src = ""
        for attribute in ("data-orig-file", "data-src", "data-lazy-src", "src"):
            value = str(node.get(attribute) or "").strip()
            if value and not (attribute == "src" and value.startswith("data:") and src):
                src = src or value
        if not src:
            return None
        return records.ImageRef(url=src, alt=str(node.get("alt") or "").strip(), caption=caption)

    def image(self, node: Tag, *, caption: str = "") -> list[dict[str, Any]]:
        ref = self.image_ref(node, caption)
        if ref is None:
            return []
        return self.image_of(ref)

    def image_of(self, ref: records.ImageRef) -> list[dict[str, Any]]:
        image = self.stored_image(ref)
        if image is None:
            return []
        return [block("image", {"image": image.pk, **self.caption_credit(ref.caption)})]

    def caption_credit(self, caption: str) -> dict[str, str]:
        if len(caption) > CAPTION_MAX:
            self.note(
                _("an image caption was shortened to %(max)s characters") % {"max": CAPTION_MAX}
            )
            caption = caption[: CAPTION_MAX - 1].rstrip() + "…"
        return {"caption": caption, "credit": ""}

    def stored_image(self, ref: records.ImageRef) -> Any:
        try:
            return self.resolver.image(ref)
        except MediaUnavailable as error:
            self.note(
                _("image %(url)s dropped: %(reason)s") % {"url": shown(ref.url), "reason": error}
            )
            return None

    def gallery(self, node: Tag) -> list[dict[str, Any]]:
        refs: list[records.ImageRef] = []
        for img in node.find_all("img"):
            if img.find_parent(class_="blocks-gallery-caption"):
                continue
            item = img.find_parent(["figure", "li", "dl"])
            caption_node = None
            if isinstance(item, Tag) and item is not node:
                caption_node = item.find(["figcaption", "dd"])
            caption = inline_text(caption_node) if isinstance(caption_node, Tag) else ""
            ref = self.image_ref(img, caption)
            if ref is not None:
                refs.append(ref)
        title_node = node.find(class_="blocks-gallery-caption") or node.find(
            "figcaption", recursive=False
        )
        title = inline_text(title_node) if isinstance(title_node, Tag) else ""
        return self.gallery_of(refs, title)

    def gallery_of(self, refs: list[records.ImageRef], title: str = "") -> list[dict[str, Any]]:
        stored = [(ref, image) for ref in refs if (image := self.stored_image(ref)) is not None]
        after: list[dict[str, Any]] = []
        if len(title) > TITLE_MAX:
            after.append(paragraph(escape(title)))
            title = ""
        if not stored:
            return after
        if len(stored) == 1:
            ref, image = stored[0]
            return [
                block("image", {"image": image.pk, **self.caption_credit(ref.caption or title)})
            ]
        result: list[dict[str, Any]] = []
        if len(stored) > GALLERY_MAX:
            self.note(
                _("a gallery of %(count)s photos was split: at most %(max)s in one")
                % {"count": len(stored), "max": GALLERY_MAX}
            )
        for start in range(0, len(stored), GALLERY_MAX):
            chunk = stored[start : start + GALLERY_MAX]
            if len(chunk) == 1:
                ref, image = chunk[0]
                result.append(
                    block("image", {"image": image.pk, **self.caption_credit(ref.caption)})
                )
                continue
            items = [
                {
                    "type": "item",
                    "value": {
                        "image": image.pk,
                        **self.caption_credit(ref.caption),
                        "alt": ref.alt[:250],
                    },
                    "id": str(uuid.uuid4()),
                }
                for ref, image in chunk
            ]
            result.append(block("gallery", {"title": title, "images": items}))
        return result + after

    def shortcode_gallery(self, ids: str) -> list[dict[str, Any]]:
        wanted = [part.strip() for part in ids.split(",") if part.strip()]
        urls = [self.context.attachments[i] for i in wanted if i in self.context.attachments]
        if not wanted or len(urls) < len(wanted):
            self.note(
                _(
                    "[gallery] shortcode: %(missing)s of its photos are not known by address and were dropped"
                )
                % {"missing": (len(wanted) - len(urls)) if wanted else _("all")}
            )
        return self.gallery_of([records.ImageRef(url=url) for url in urls])

    def bookmark(self, node: Tag) -> list[dict[str, Any]]:
        anchor = node.find("a", href=True)
        url = str(anchor["href"]) if isinstance(anchor, Tag) else ""
        title_node = node.find(class_="kg-bookmark-title")
        description_node = node.find(class_="kg-bookmark-description")
        title = collapse(title_node.get_text(" ")) if isinstance(title_node, Tag) else ""
        description = (
            collapse(description_node.get_text(" ")) if isinstance(description_node, Tag) else ""
        )
        if node.find("img"):
            self.note(_("a bookmark card's pictures were not kept (they were on the other site)"))
        return link_card(url, self.context, title=title, description=description, note=False)

    def embed_figure(self, node: Tag) -> list[dict[str, Any]]:
        caption_node = node.find("figcaption")
        description = inline_text(caption_node) if isinstance(caption_node, Tag) else ""
        url = ""
        frame = node.find(FRAMES)
        if isinstance(frame, Tag):
            url = canonical_embed(str(frame.get("src") or frame.get("data") or ""))
        wrapper = node.find(class_="wp-block-embed__wrapper")
        if not url and isinstance(wrapper, Tag):
            url = wrapper.get_text(strip=True)
        if not url:
            quoted = node.find("blockquote")
            if isinstance(quoted, Tag):
                return self.quote(
                    quoted, set(quoted.get_attribute_list("class") or []) | {"twitter-tweet"}
                )
            anchor = node.find("a", href=True)
            url = str(anchor["href"]) if isinstance(anchor, Tag) else ""
        if node.find("script"):
            self.note(_("a script dropped: no scripts from the old site are kept"))
        return link_card(url, self.context, description=description, what="embed")

    def file(self, node: Tag) -> list[dict[str, Any]]:
        anchor = node.find("a", href=True)
        if not isinstance(anchor, Tag):
            return self.container(node)
        url = str(anchor["href"])
        title_node = node.find(class_="kg-file-card-title")
        caption_node = node.find(class_="kg-file-card-caption")
        title = collapse((title_node or anchor).get_text(" "))
        description = collapse(caption_node.get_text(" ")) if isinstance(caption_node, Tag) else ""
        return self.document(url, title=title, description=description)

    def document(self, url: str, *, title: str, description: str = "") -> list[dict[str, Any]]:
        if not self.context.allows("document"):
            self.note(_("a file dropped: an information page has no files"))
            return []
        try:
            document = self.resolver.document(url, title=title)
        except MediaUnavailable as error:
            self.note(
                _("file %(url)s could not be copied in (%(reason)s): it became a link card")
                % {"url": shown(url), "reason": error}
            )
            return link_card(
                url, self.context, title=title or _("File"), description=description, note=False
            )
        if document is None:
            return []
        value = {"document": document.pk, "title": title[:TITLE_MAX], "description": description}
        return [block("document", value)]

    def media_element(self, node: Tag) -> list[dict[str, Any]]:
        player = node if node.name in ("audio", "video") else node.find(["audio", "video"])
        if not isinstance(player, Tag):
            return self.container(node)
        src = str(player.get("src") or "")
        if not src:
            source = player.find("source", src=True)
            src = str(source["src"]) if isinstance(source, Tag) else ""
        caption_node = node.find("figcaption") or node.find(
            class_=["kg-audio-title", "kg-video-title"]
        )
        caption = collapse(caption_node.get_text(" ")) if isinstance(caption_node, Tag) else ""
        poster = str(player.get("poster") or "")
        if "spacergif.org" in poster:
            poster = ""
        style = str(player.get("style") or "")
        if not poster and (found := re.search(r"url\(['\"]?([^'\")]+)", style)):
            poster = found[1]
        return self.media(src, player.name == "video", poster, caption=caption)

    def media(
        self, src: str, video: bool, poster: str = "", *, caption: str = ""
    ) -> list[dict[str, Any]]:
        kind: Literal["audio", "video"] = "video" if video else "audio"
        if not src:
            self.note(_("a %(kind)s player without a file dropped") % {"kind": kind})
            return []
        if not self.context.allows(kind):
            self.note(_("%(kind)s dropped: an information page has none") % {"kind": kind})
            return []
        try:
            media = self.resolver.media(src, kind=kind, title=caption)
        except MediaUnavailable as error:
            self.note(
                _("%(kind)s %(url)s could not be copied in (%(reason)s): it became a link card")
                % {"kind": kind, "url": shown(src), "reason": error}
            )
            title = _("Video") if video else _("Audio")
            return link_card(src, self.context, title=caption or title, note=False)
        if media is None:
            return []
        value: dict[str, Any] = {
            "media": media.pk,
            "caption": caption[:CAPTION_MAX],
            "credit": "",
            "transcript": "",
            "subtitles": [],
        }
        if video:
            image = self.stored_image(records.ImageRef(url=poster)) if poster else None
            value["poster_image"] = image.pk if image is not None else None
        return [block(kind, value)]

    # Inline

    def children_inline(self, node: Tag) -> list[Piece]:
        pieces: list[Piece] = []
        for child in node.children:
            pieces.extend(self.inline(child, loose=False))
        return pieces

    def inline(self, node: Any, *, loose: bool) -> list[Piece]:
        """Rich text pieces of a node; blocks met inside it come out as ``Emitted``."""
        if isinstance(node, Comment):
            marker = str(node).strip()
            if marker == "samizdat: markdown as text":
                self.note(_("a Markdown card was kept as plain text: Markdown is not installed"))
            elif marker.startswith("samizdat: ghost card "):
                name = marker.removeprefix("samizdat: ghost card ").removesuffix(" left out")
                self.note(_("Ghost card %(name)s dropped: it only works on Ghost") % {"name": name})
            elif marker in ("more", "nextpage"):
                self.note(_("the <!--%(name)s--> break was dropped") % {"name": marker})
            return []
        if isinstance(node, NavigableString):
            text = str(node)
            if type(node) is not NavigableString:  # CDATA, doctype, declarations
                return []
            if loose and self.autop:
                parts: list[Piece] = []
                for index, chunk in enumerate(re.split(r"\n\s*\n", text)):
                    if index:
                        parts.append(BREAK)
                    lines = chunk.split("\n")
                    parts.append("<br/>".join(escape(collapse_inline(line)) for line in lines))
                return parts
            return [escape(collapse_inline(text))]
        if not isinstance(node, Tag):
            return []
        name = node.name
        if name == "script":
            self.note(_("a script dropped: no scripts from the old site are kept"))
            return []
        if name in SILENT_DROP:
            return []
        if name in NOISY_DROP:
            self.note(_("a %(element)s element dropped: none here") % {"element": name})
            return []
        if name == "br":
            return ["<br/>"]
        if name == "img":
            classes = set(node.get_attribute_list("class") or [])
            if classes & {"emoji", "wp-smiley"}:
                return [escape(str(node.get("alt") or ""))]  # WordPress's picture of an emoji
            if str(node.get("width")) == "1" and str(node.get("height")) == "1":
                self.note(_("a 1×1 tracking picture dropped"))
                return []
            return [Emitted(self.image(node))]
        if name in FRAMES:
            src = canonical_embed(str(node.get("src") or node.get("data") or ""))
            return [Emitted(link_card(src, self.context, what=f"<{name}>"))]
        if name in ("audio", "video"):
            return [Emitted(self.media_element(node))]
        if name in BLOCK_TAGS or name.startswith("samizdat-"):
            if name in ("p", "div") or name in HEADINGS:
                return [BREAK, *self.children_inline(node), BREAK]
            return [BREAK, Emitted(self.element(node)), BREAK]
        pieces = self.children_inline(node) if not loose else self.loose_children(node)
        if name in BOLD:
            return wrap_pieces(pieces, "<b>", "</b>")
        if name in ITALIC:
            return wrap_pieces(pieces, "<i>", "</i>")
        if name == "a":
            return self.anchor(node, pieces)
        if name in STRUCK:
            self.note(_("struck-through text kept as plain text: no strikethrough here"))
        elif name in SCRIPTED:
            self.note(_("superscript or subscript kept as plain text"))
        elif name == "q":
            return ["“", *pieces, "”"]
        return pieces

    def loose_children(self, node: Tag) -> list[Piece]:
        pieces: list[Piece] = []
        for child in node.children:
            pieces.extend(self.inline(child, loose=True))
        return pieces

    def anchor(self, node: Tag, pieces: list[Piece]) -> list[Piece]:
        href = str(node.get("href") or "").strip()
        if any(isinstance(p, Emitted) for p in pieces):
            wrapped_image = node.find("img")
            if href and isinstance(wrapped_image, Tag) and not points_at_file(href):
                self.note(_("the link of an image was dropped: images here link nowhere"))
        href = self.local_href(href, collapse(node.get_text(" ")))
        if not href:
            return pieces
        return wrap_pieces(pieces, f'<a href="{escape(href)}">', "</a>")

    def local_href(self, href: str, text: str) -> str:
        """A link to a file of the old site points at its copy here; an unsafe one is none."""
        if not href:
            return ""
        href = href.replace("__GHOST_URL__", "", 1) or "/"  # Ghost's own address: this site
        parts = urlsplit(href)
        if parts.scheme and parts.scheme.lower() not in SAFE_SCHEMES:
            self.note(_("a %(scheme)s: link was removed") % {"scheme": parts.scheme.lower()})
            return ""
        extension = parts.path.rpartition(".")[2].lower() if "." in parts.path else ""
        uploaded = "/wp-content/uploads/" in parts.path or "/content/files/" in parts.path
        if uploaded and extension in DOCUMENT_EXTENSIONS:
            try:
                document = self.resolver.document(href, title=text)
            except MediaUnavailable as error:
                self.note(
                    _("the link to file %(url)s was removed: %(reason)s")
                    % {"url": shown(href), "reason": error}
                )
                return ""
            return str(document.url) if document is not None else href
        return href


# Rich text assembly


def wrap_pieces(pieces: list[Piece], start: str, end: str) -> list[Piece]:
    """Each run of text in ``pieces`` wrapped in ``start``…``end``."""
    result: list[Piece] = []
    run: list[str] = []

    def flush() -> None:
        text = "".join(run)
        if re.sub(r"<br/>", "", text).strip():
            result.append(f"{start}{text}{end}")
        elif text:
            result.append(text)
        run.clear()

    for piece in pieces:
        if isinstance(piece, str):
            run.append(piece)
        else:
            flush()
            result.append(piece)
    flush()
    return result


def join_inline(pieces: list[Piece], emitted: list[dict[str, Any]], separator: str) -> str:
    parts: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(piece)
        elif isinstance(piece, Emitted):
            emitted.extend(piece.blocks)
        else:
            parts.append(separator)
    return tidy("".join(parts))


def tidy(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    for tag in ("b", "i"):
        html = unnest(html, tag)
    html = re.sub(r"(?:\s*<br/>\s*)+$", "", re.sub(r"^(?:\s*<br/>\s*)+", "", html))
    return html.strip()


def unnest(html: str, tag: str) -> str:
    """``<b>a <b>b</b></b>`` as ``<b>a b</b>``: the editor knows no nested bold."""
    out: list[str] = []
    depth = 0
    for part in re.split(f"(</?{tag}>)", html):
        if part == f"<{tag}>":
            depth += 1
            if depth > 1:
                continue
        elif part == f"</{tag}>":
            depth -= 1
            if depth > 0:
                continue
        out.append(part)
    return "".join(out)


def paragraphs(pieces: list[Piece]) -> list[dict[str, Any]]:
    """Paragraph blocks of a run of pieces, with blocks met inside it in their place."""
    result: list[dict[str, Any]] = []
    run: list[str] = []

    def flush() -> None:
        html = tidy("".join(run))
        if re.sub(r"<[^>]+>|&nbsp;|\xa0", "", html).strip():
            result.append(paragraph(html))
        run.clear()

    for piece in pieces:
        if isinstance(piece, str):
            run.append(piece)
        else:
            flush()
            if isinstance(piece, Emitted):
                result.extend(piece.blocks)
    flush()
    return result


def paragraph(html: str, *, wrap: bool = True) -> dict[str, Any]:
    return block("paragraph", f"<p>{html}</p>" if wrap else html)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def collapse_inline(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def inline_text(node: Tag) -> str:
    return collapse(node.get_text(" "))


def shown(url: str) -> str:
    """An address as the report shows it: without its query (which may hold a signature or
    a token), and a pasted picture not printed in full."""
    if url.startswith("data:"):
        return "data:…"
    return without_query(url)


def points_at_file(href: str) -> bool:
    path = urlsplit(href).path.lower()
    return (
        path.rpartition(".")[2] in {"jpg", "jpeg", "png", "gif", "webp", "avif"}
        or "attachment" in href
        or "/content/images/" in path
    )


# Link cards


def provider_of(host: str) -> str:
    host = host.lower().removeprefix("www.").removeprefix("m.")
    for known, name in PROVIDERS.items():
        if host == known or host.endswith("." + known):
            return name
    return host


def canonical_embed(src: str) -> str:
    """The page an embedded player shows: ``youtube.com/embed/ID`` → ``youtube.com/watch?v=ID``."""
    src = src.strip()
    if src.startswith("//"):
        src = "https:" + src
    parts = urlsplit(src)
    host = (parts.hostname or "").removeprefix("www.")
    if host.endswith(("youtube.com", "youtube-nocookie.com")) and parts.path.startswith("/embed/"):
        return f"https://www.youtube.com/watch?v={parts.path.split('/')[2]}"
    if host == "player.vimeo.com" and parts.path.startswith("/video/"):
        return f"https://vimeo.com/{parts.path.split('/')[2]}"
    if host.endswith("spotify.com") and parts.path.startswith("/embed/"):
        return f"https://open.spotify.com/{parts.path.removeprefix('/embed/')}"
    if host.endswith("soundcloud.com") and "url" in parse_qs(parts.query):
        return parse_qs(parts.query)["url"][0]
    return src


def link_card(
    url: str,
    context: Context,
    *,
    title: str = "",
    description: str = "",
    what: str = "embed",
    note: bool = True,
) -> list[dict[str, Any]]:
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        context.note(_("%(what)s without a web address dropped") % {"what": what})
        return []
    url = requote_uri(url)
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        context.note(_("%(what)s with an unusable address dropped") % {"what": what})
        return []
    provider = provider_of(parts.hostname)
    if not title:
        if provider in VIDEO_HOSTS:
            title = _("Video on %(site)s") % {"site": provider}
        elif provider in AUDIO_HOSTS:
            title = _("Audio on %(site)s") % {"site": provider}
        elif provider in POST_HOSTS:
            title = _("Post on %(site)s") % {"site": provider}
        elif provider == "Flickr":
            title = _("Photo on %(site)s") % {"site": provider}
        else:
            title = _("Page on %(site)s") % {"site": provider}
    if note:
        context.note(
            _("%(what)s of %(host)s became a link card: nothing is loaded from other sites")
            % {"what": what, "host": parts.hostname}
        )
    return [
        block(
            "link",
            {"url": url, "title": collapse(title)[:TITLE_MAX], "description": description},
        )
    ]


# Plain text


def plain_text(html: str) -> str:
    """The text of ``html`` (paragraphs apart by a blank line), for excerpts, standfirsts, bios."""
    if not html:
        return ""
    html = BLOCK_COMMENT.sub("", html)
    html = SHORTCODE.sub(lambda m: m["inner"] or "", html) if "[" in html else html
    soup = parsed(html)
    for tag in soup.find_all(["script", "style", "noscript", "template", "iframe", "svg"]):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(BLOCK_TAGS | {"li"}):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = soup.get_text()
    blocks = [re.sub(r"[ \t\r\f\v]+", " ", part).strip() for part in re.split(r"\n\s*\n", text)]
    return "\n\n".join(
        "\n".join(line.strip() for line in part.split("\n") if line.strip())
        for part in blocks
        if part
    )
