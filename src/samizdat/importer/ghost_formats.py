"""Ghost's editor formats as HTML, for posts exported without their ``html``.

Ghost keeps a post as mobiledoc (Ghost 1–4) or lexical (Ghost 5–6) JSON and renders the HTML
from it. These renderers produce the HTML Ghost itself would (its ``kg-*-card`` markup), so
``bodies.convert_body`` reads one form whichever the export holds. Cards that only mean
something on a Ghost site (signup forms, paywall markers, member-only CTAs) are left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import Any

try:  # Python-Markdown renders Ghost's markdown cards when installed; else their text is kept.
    import markdown as python_markdown
except ImportError:  # pragma: no cover - depends on the environment
    python_markdown = None

Card = dict[str, Any]

# Lexical's text format bits.
FORMATS = [
    (1, "strong"),
    (2, "em"),
    (4, "s"),
    (8, "u"),
    (16, "code"),
    (32, "sub"),
    (64, "sup"),
    (128, "mark"),
]
MOBILEDOC_MARKUPS = {"b", "strong", "i", "em", "a", "code", "s", "u", "sup", "sub", "strike"}
MARKUP_SECTIONS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "aside", "pull-quote"}


def attr(value: Any) -> str:
    return escape(str(value or ""), quote=True)


def text(value: Any) -> str:
    return escape(str(value or ""), quote=False)


def loaded(doc: dict[str, Any] | str) -> dict[str, Any]:
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError as error:
            raise ValueError(f"not JSON: {error}") from error
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    return doc


# Cards (shared by both formats; the payload's field names are the same in both)


def figure_caption(caption: Any) -> str:
    return f"<figcaption>{caption}</figcaption>" if caption else ""


def image_card(card: Card) -> str:
    if not card.get("src"):
        return ""
    image = f'<img src="{attr(card["src"])}" class="kg-image" alt="{attr(card.get("alt"))}"'
    if card.get("title"):
        image += f' title="{attr(card["title"])}"'
    image += ' loading="lazy">'
    if card.get("href"):
        image = f'<a href="{attr(card["href"])}">{image}</a>'
    classes = "kg-card kg-image-card"
    if card.get("cardWidth") in ("wide", "full"):
        classes += f" kg-width-{card['cardWidth']}"
    if card.get("caption"):
        classes += " kg-card-hascaption"
    return f'<figure class="{classes}">{image}{figure_caption(card.get("caption"))}</figure>'


def gallery_card(card: Card) -> str:
    images = [image for image in card.get("images") or [] if image.get("src")]
    if not images:
        return ""
    rows: dict[int, list[str]] = {}
    for index, image in enumerate(images):
        row = int(image.get("row", index // 3) or 0)
        rows.setdefault(row, []).append(
            f'<div class="kg-gallery-image"><img src="{attr(image["src"])}" '
            f'width="{attr(image.get("width"))}" height="{attr(image.get("height"))}" '
            f'loading="lazy" alt="{attr(image.get("alt"))}"></div>'
        )
    body = "".join(
        f'<div class="kg-gallery-row">{"".join(row)}</div>' for _, row in sorted(rows.items())
    )
    caption = card.get("caption")
    classes = "kg-card kg-gallery-card kg-width-wide" + (" kg-card-hascaption" if caption else "")
    return (
        f'<figure class="{classes}"><div class="kg-gallery-container">{body}</div>'
        f"{figure_caption(caption)}</figure>"
    )


def bookmark_card(card: Card) -> str:
    metadata = card.get("metadata") or {}
    url = card.get("url") or metadata.get("url")
    if not url:
        return ""
    icon = metadata.get("icon")
    thumbnail = metadata.get("thumbnail") or metadata.get("image")
    details = "".join(
        f'<span class="kg-bookmark-{name}">{text(metadata[name])}</span>'
        for name in ("author", "publisher")
        if metadata.get(name)
    )
    icon_html = f'<img class="kg-bookmark-icon" src="{attr(icon)}" alt="">' if icon else ""
    thumbnail_html = (
        f'<div class="kg-bookmark-thumbnail"><img src="{attr(thumbnail)}" alt=""></div>'
        if thumbnail
        else ""
    )
    classes = "kg-card kg-bookmark-card" + (" kg-card-hascaption" if card.get("caption") else "")
    return (
        f'<figure class="{classes}">'
        f'<a class="kg-bookmark-container" href="{attr(url)}"><div class="kg-bookmark-content">'
        f'<div class="kg-bookmark-title">{text(metadata.get("title"))}</div>'
        f'<div class="kg-bookmark-description">{text(metadata.get("description"))}</div>'
        f'<div class="kg-bookmark-metadata">{icon_html}{details}</div></div>{thumbnail_html}'
        f"</a>{figure_caption(card.get('caption'))}</figure>"
    )


def embed_card(card: Card) -> str:
    html = card.get("html") or ""
    if not html and card.get("url"):
        html = f'<a href="{attr(card["url"])}">{text(card["url"])}</a>'
    if not html:
        return ""
    caption = card.get("caption")
    classes = "kg-card kg-embed-card" + (" kg-card-hascaption" if caption else "")
    return f'<figure class="{classes}">{html}{figure_caption(caption)}</figure>'


def html_card(card: Card) -> str:
    html = card.get("html") or ""
    return f"<!--kg-card-begin: html-->{html}<!--kg-card-end: html-->" if html else ""


def markdown_card(card: Card) -> str:
    source = str(card.get("markdown") or "")
    if not source.strip():
        return ""
    if python_markdown is not None:
        rendered = python_markdown.markdown(source)
    else:
        # Markdown passes HTML blocks through as they are; the rest is kept as its text.
        parts = [part.strip() for part in source.split("\n\n") if part.strip()]
        rendered = "".join(
            part
            if part.startswith("<")
            else f"<p>{'<br>'.join(text(line) for line in part.splitlines())}</p>"
            for part in parts
        )
        # Read by bodies.py, which reports it: Markdown is not installed here.
        rendered = "<!--samizdat: markdown as text-->" + rendered
    return f"<!--kg-card-begin: markdown-->{rendered}<!--kg-card-end: markdown-->"


def callout_card(card: Card) -> str:
    colour = str(card.get("backgroundColor") or "grey")
    if not colour.replace("-", "").isalnum():
        colour = "white"
    emoji = card.get("calloutEmoji")
    emoji_html = f'<div class="kg-callout-emoji">{text(emoji)}</div>' if emoji else ""
    return (
        f'<div class="kg-card kg-callout-card kg-callout-card-{attr(colour)}">{emoji_html}'
        f'<div class="kg-callout-text">{card.get("calloutText") or ""}</div></div>'
    )


def audio_card(card: Card) -> str:
    if not card.get("src"):
        return ""
    thumbnail = card.get("thumbnailSrc")
    image = (
        f'<img src="{attr(thumbnail)}" alt="audio-thumbnail" class="kg-audio-thumbnail">'
        if thumbnail
        else ""
    )
    return (
        f'<div class="kg-card kg-audio-card">{image}'
        f'<div class="kg-audio-player-container"><audio src="{attr(card["src"])}" '
        'preload="metadata"></audio>'
        f'<div class="kg-audio-title">{text(card.get("title"))}</div></div></div>'
    )


def video_card(card: Card) -> str:
    if not card.get("src"):
        return ""
    thumbnail = card.get("customThumbnailSrc") or card.get("thumbnailSrc") or ""
    width, height = card.get("width") or "", card.get("height") or ""
    style = (
        f" style=\"background: transparent url('{attr(thumbnail)}') 50% 50% / cover no-repeat;\""
        if thumbnail
        else ""
    )
    caption = card.get("caption")
    return (
        f'<figure class="kg-card kg-video-card{" kg-card-hascaption" if caption else ""}">'
        f'<div class="kg-video-container"><video src="{attr(card["src"])}" '
        f'width="{attr(width)}" height="{attr(height)}" playsinline preload="metadata"{style}>'
        f"</video></div>{figure_caption(caption)}</figure>"
    )


def file_card(card: Card) -> str:
    if not card.get("src"):
        return ""
    return (
        '<div class="kg-card kg-file-card">'
        f'<a class="kg-file-card-container" href="{attr(card["src"])}" title="Download" download>'
        '<div class="kg-file-card-contents">'
        f'<div class="kg-file-card-title">{text(card.get("fileTitle"))}</div>'
        f'<div class="kg-file-card-caption">{text(card.get("fileCaption"))}</div>'
        '<div class="kg-file-card-metadata">'
        f'<div class="kg-file-card-filename">{text(card.get("fileName"))}</div>'
        f'<div class="kg-file-card-filesize">{text(card.get("fileSize"))}</div>'
        "</div></div></a></div>"
    )


def button_card(card: Card) -> str:
    if not card.get("buttonUrl"):
        return ""
    alignment = card.get("alignment") or "left"
    return (
        f'<div class="kg-card kg-button-card kg-align-{attr(alignment)}">'
        f'<a href="{attr(card["buttonUrl"])}" class="kg-btn kg-btn-accent">'
        f"{text(card.get('buttonText'))}</a></div>"
    )


def toggle_card(card: Card) -> str:
    return (
        '<div class="kg-card kg-toggle-card" data-kg-toggle-state="close">'
        f'<div class="kg-toggle-heading"><h4 class="kg-toggle-heading-text">'
        f"{card.get('heading') or ''}</h4></div>"
        f'<div class="kg-toggle-content">{card.get("content") or ""}</div></div>'
    )


def header_card(card: Card) -> str:
    header, subheader = card.get("header") or "", card.get("subheader") or ""
    button = ""
    if card.get("buttonEnabled") and card.get("buttonUrl"):
        button = (
            f'<a href="{attr(card["buttonUrl"])}" class="kg-header-card-button">'
            f"{text(card.get('buttonText'))}</a>"
        )
    if header:
        header = f'<h2 class="kg-header-card-header">{header}</h2>'
    if subheader:
        subheader = f'<h3 class="kg-header-card-subheader">{subheader}</h3>'
    return f'<div class="kg-card kg-header-card kg-width-full">{header}{subheader}{button}</div>'


def product_card(card: Card) -> str:
    image = card.get("productImageSrc")
    button = ""
    if card.get("productButtonEnabled") and card.get("productUrl"):
        button = (
            f'<a href="{attr(card["productUrl"])}" class="kg-product-card-button kg-product-card-btn-accent">'
            f"<span>{text(card.get('productButton'))}</span></a>"
        )
    image_html = f'<img src="{attr(image)}" class="kg-product-card-image">' if image else ""
    return (
        f'<div class="kg-card kg-product-card"><div class="kg-product-card-container">{image_html}'
        '<div class="kg-product-card-title-container">'
        f'<h4 class="kg-product-card-title">{card.get("productTitle") or ""}</h4></div>'
        f'<div class="kg-product-card-description">{card.get("productDescription") or ""}</div>'
        f"{button}</div></div>"
    )


def code_card(card: Card) -> str:
    code = card.get("code") or ""
    language = card.get("language")
    classes = f' class="language-{attr(language)}"' if language else ""
    pre = f"<pre><code{classes}>{text(code)}</code></pre>"
    if card.get("caption"):
        return (
            f'<figure class="kg-card kg-code-card">{pre}{figure_caption(card["caption"])}</figure>'
        )
    return pre


CARDS: dict[str, Callable[[Card], str]] = {
    "image": image_card,
    "gallery": gallery_card,
    "bookmark": bookmark_card,
    "embed": embed_card,
    "html": html_card,
    "markdown": markdown_card,
    "card-markdown": markdown_card,
    "hr": lambda card: "<hr>",
    "horizontalrule": lambda card: "<hr>",
    "callout": callout_card,
    "audio": audio_card,
    "video": video_card,
    "file": file_card,
    "button": button_card,
    "toggle": toggle_card,
    "header": header_card,
    "product": product_card,
    "code": code_card,
    "codeblock": code_card,
}


def render_card(name: str, payload: Card) -> str:
    renderer = CARDS.get(name)
    if renderer is None:
        # Paywall markers, signup forms, member-only calls to action: Ghost-site only.
        return f"<!--samizdat: ghost card {escape(name)} left out-->"
    return renderer(payload or {})


# Mobiledoc


def mobiledoc_to_html(doc: dict[str, Any] | str) -> str:
    """The HTML Ghost renders from a mobiledoc document (sections, markers, atoms, cards)."""
    data = loaded(doc)
    if not isinstance(data.get("sections") or [], list):
        raise ValueError("its sections are not a list")
    markups = data.get("markups") or []
    atoms = data.get("atoms") or []
    cards = data.get("cards") or []
    out: list[str] = []
    for section in data.get("sections") or []:
        if not section:
            continue
        kind = section[0]
        if kind == 1 and len(section) >= 3:
            tag = str(section[1]).lower()
            inner = render_markers(section[2], markups, atoms)
            if tag == "pull-quote":
                out.append(f'<blockquote class="kg-blockquote-alt">{inner}</blockquote>')
            elif tag in MARKUP_SECTIONS:
                out.append(f"<{tag}>{inner}</{tag}>")
            else:
                out.append(f"<p>{inner}</p>")
        elif kind == 2 and len(section) >= 2:
            out.append(image_card({"src": section[1]}))
        elif kind == 3 and len(section) >= 3:
            tag = "ol" if str(section[1]).lower() == "ol" else "ul"
            items = "".join(
                f"<li>{render_markers(item, markups, atoms)}</li>" for item in section[2]
            )
            out.append(f"<{tag}>{items}</{tag}>")
        elif kind == 10 and len(section) >= 2:
            index = section[1]
            if isinstance(index, int) and 0 <= index < len(cards):
                name, *rest = cards[index]
                out.append(render_card(str(name), rest[0] if rest else {}))
    return "".join(out)


def render_markers(markers: list[Any], markups: list[Any], atoms: list[Any]) -> str:
    out: list[str] = []
    open_tags: list[str] = []
    for marker in markers:
        if len(marker) < 4:
            continue
        kind, opened, closed, value = marker[:4]
        for index in opened:
            if not (isinstance(index, int) and 0 <= index < len(markups)):
                continue
            tag, *rest = markups[index]
            tag = str(tag).lower()
            attributes = rest[0] if rest else []
            if tag not in MOBILEDOC_MARKUPS:
                tag = "span"
            pairs = dict(zip(attributes[::2], attributes[1::2], strict=False))
            href = f' href="{attr(pairs["href"])}"' if tag == "a" and pairs.get("href") else ""
            out.append(f"<{tag}{href}>")
            open_tags.append(tag)
        if kind == 0:
            out.append(text(value))
        elif kind == 1 and isinstance(value, int) and 0 <= value < len(atoms):
            name, atom_text, _payload = [*list(atoms[value]), "", {}][:3]
            out.append("<br>" if name == "soft-return" else text(atom_text))
        for _ in range(min(int(closed or 0), len(open_tags))):
            out.append(f"</{open_tags.pop()}>")
    out.extend(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(out)


# Lexical


def lexical_to_html(doc: dict[str, Any] | str) -> str:
    """The HTML Ghost renders from a lexical document (its nodes and Koenig's cards)."""
    data = loaded(doc)
    root = data.get("root") or {}
    if not isinstance(root, dict):
        raise ValueError("its root is not a JSON object")
    return "".join(lexical_node(child) for child in root.get("children") or [])


def lexical_children(node: dict[str, Any]) -> str:
    return "".join(lexical_node(child) for child in node.get("children") or [])


def lexical_node(node: Any) -> str:
    if not isinstance(node, dict):
        return ""
    kind = str(node.get("type") or "").removeprefix("extended-")
    if kind == "text":
        return formatted(node)
    if kind == "linebreak":
        return "<br>"
    if kind == "tab":
        return "\t"
    if kind in ("link", "autolink"):
        return f'<a href="{attr(node.get("url"))}">{lexical_children(node)}</a>'
    if kind == "paragraph":
        return f"<p>{lexical_children(node)}</p>"
    if kind == "heading":
        tag = str(node.get("tag") or "h2")
        tag = tag if tag in {"h1", "h2", "h3", "h4", "h5", "h6"} else "h2"
        return f"<{tag}>{lexical_children(node)}</{tag}>"
    if kind == "quote":
        return f"<blockquote>{lexical_children(node)}</blockquote>"
    if kind == "aside":
        return f'<blockquote class="kg-blockquote-alt">{lexical_children(node)}</blockquote>'
    if kind == "list":
        tag = "ol" if node.get("listType") == "number" or node.get("tag") == "ol" else "ul"
        return f"<{tag}>{lexical_children(node)}</{tag}>"
    if kind == "listitem":
        return f"<li>{lexical_children(node)}</li>"
    if kind == "code":  # lexical's own code node
        return f"<pre><code>{text(''.join(c.get('text', '') for c in node.get('children') or [] if isinstance(c, dict)))}</code></pre>"
    return render_card(kind, node)


def formatted(node: dict[str, Any]) -> str:
    html = text(node.get("text"))
    bits = node.get("format") or 0
    if not isinstance(bits, int):
        return html
    for bit, tag in FORMATS:
        if bits & bit:
            html = f"<{tag}>{html}</{tag}>"
    return html
