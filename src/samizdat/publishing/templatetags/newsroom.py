"""Template tags for reader pages: relative links, renditions, structured data."""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from typing import Any

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import is_aware, localtime
from django.utils.translation import gettext
from wagtail.images.models import AbstractImage
from wagtail.models import Locale
from wagtail.templatetags.wagtailcore_tags import richtext

from samizdat.core import build_memo, paths
from samizdat.core.appearance import site_name
from samizdat.publishing.models import STORY_LABELS
from samizdat.publishing.models import site_links as links_of_locale
from samizdat.publishing.renditions import image_tag, thumbnail_tag, webp_renditions

register = template.Library()

JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def datetime_attr(value: datetime.date | None) -> str:
    """A date or time as the ``datetime`` attribute of ``<time>``: to the second, in the
    newsroom's time zone with its offset (``2026-12-02T02:39:41+00:00``).

    HTML allows at most three digits of a second's fraction, and Python writes six, so every
    ``<time datetime>`` goes through here.
    """
    if isinstance(value, datetime.datetime):
        return (localtime(value) if is_aware(value) else value).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return ""


@register.simple_tag(takes_context=True)
def rel(context: template.Context, target: str) -> str:
    """A site-absolute path (``/en/news/``) written relative to the current page."""
    return paths.link(context, target)


@register.simple_tag(takes_context=True)
def site_links(context: template.Context, place: str) -> list[tuple[str, str]]:
    """The links of the header (``"header"``: sections and pages shown in menus) or of the
    footer (``"footer"``) for the page's language, as (title, url_path)."""
    locale = getattr(context.get("page"), "locale_id", None)
    if locale is None:
        language = context.get("LANG") or settings.LANGUAGE_CODE
        locale = Locale.objects.filter(language_code=language).values_list("pk", flat=True).first()
    return links_of_locale(locale)[place] if locale is not None else []


@register.simple_tag(takes_context=True)
def href(context: template.Context, url_path: str, suffix: str = "") -> str:
    """Relative link to a page given its Wagtail ``url_path``."""
    public = paths.public_path(url_path, paths.roots_for(context.get("request")))
    if public is None:
        return "#"
    return paths.link(context, public + suffix)


@register.simple_tag(takes_context=True)
def public_path(context: template.Context, url_path: str) -> str:
    return paths.public_path(url_path, paths.roots_for(context.get("request"))) or "/"


@register.simple_tag(takes_context=True)
def asset(context: template.Context, name: str) -> str:
    """Relative link to a static asset, versioned by its content so that browsers and caches
    may keep it for a year (servers and static copies ignore the query)."""
    return f"{paths.link(context, static(name))}?v={asset_version(name)}"


@functools.cache
def asset_version(name: str) -> str:
    """The first 8 hex digits of the asset's SHA-256 (computed once per process)."""
    found = finders.find(name)
    if not found:
        return "0"
    with open(found, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()[:8]


@register.simple_tag(takes_context=True)
def relative_richtext(context: template.Context, value: Any) -> SafeString:
    """Rich text (``|richtext``) with links to our own pages written relative to this page."""
    return mark_safe(paths.relative_html(context, str(richtext(value))))  # noqa: S308


@register.simple_tag
def absolute(target: str) -> str:
    return paths.absolute(target)


@register.simple_tag
def app_url(path: str) -> str:
    """``path`` on the dynamic app (SITE_URL), for reader forms: a copy of the page on any
    other origin still posts to the app (forms.js may move it to another app address)."""
    return settings.SITE_URL + path


@register.simple_tag
def app_origins() -> str:
    """The app's origins, space-separated, in the order forms.js tries them."""
    from samizdat.core.public_forms import app_origins as origins

    return " ".join(origins())


@register.simple_tag(takes_context=True)
def responsive_image(
    context: template.Context,
    image: AbstractImage | None,
    alt: str | None = None,
    eager: bool = False,
) -> SafeString:
    return image_tag(context, image, alt, eager=eager)


@register.simple_tag
def json_ld(data: dict[str, Any]) -> SafeString:
    """Structured data in a ``<script type="application/ld+json">``, safe to embed."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag(takes_context=True)
def article_json_ld(context: template.Context) -> SafeString:
    page = context["page"]
    canonical = context["canonical_url"]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": schema_type(page.label),
        "headline": page.title[:110],
        "description": page.standfirst,
        "inLanguage": page.locale.language_code,
        "mainEntityOfPage": canonical,
        "url": canonical,
        "datePublished": page.first_published_at.isoformat() if page.first_published_at else None,
        "dateModified": (page.last_published_at or page.first_published_at).isoformat()
        if page.first_published_at
        else None,
        "author": [
            {
                "@type": "Person",
                "name": author["title"],
                "url": paths.absolute(author["path"]),
            }
            for author in context["authors"]
        ],
        "publisher": {
            "@type": "Organization",
            "name": site_name(),
            "url": settings.SITE_URL + "/",
        },
        "keywords": [tag["name"] for tag in context["tag_list"]],
    }
    if page.lead_image is not None:
        data["image"] = [absolute_image_url(page.lead_image)]
    if live_updates := context.get("live_updates"):
        # A story with live updates is a live blog, whatever its label says.
        data["@type"] = "LiveBlogPosting"
        data["coverageStartTime"] = min(
            filter(None, [page.first_published_at, *(item["time"] for item in live_updates)])
        ).isoformat()
        if page.live_coverage_ended:
            data["coverageEndTime"] = page.live_coverage_ended.isoformat()
        data["liveBlogUpdate"] = [
            {
                "@type": "BlogPosting",
                # An update without a headline of its own does not repeat the story's.
                **({"headline": item["headline"][:110]} if item["headline"] else {}),
                "datePublished": item["time"].isoformat(),
                "url": f"{canonical}#{item['anchor']}",
            }
            for item in live_updates
        ]
    if notes := context.get("article_notes"):
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": note["text"],
                "datePublished": note["date"].isoformat(),
            }
            for note in notes
        ]
    return json_ld(data)


@register.simple_tag
def absolute_image_url(image: AbstractImage, width: int = 1200) -> str:
    """Absolute URL of the widest WebP rendition up to ``width`` (for feeds, Open Graph…)."""
    renditions = webp_renditions(image)
    chosen = [r for r in renditions if r.width <= width] or renditions[:1]
    return paths.absolute(chosen[-1].url)


@register.simple_tag(takes_context=True)
def page_number_link(context: template.Context, base_path: str, number: int | None) -> str:
    """Relative link to archive page ``number`` of the listing at ``base_path`` (None: the
    listing itself)."""
    target = base_path if number is None else f"{base_path}page/{number}/"
    return paths.link(context, target)


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


LABELS = dict(STORY_LABELS)

# schema.org's types for the kinds of story that have one; the rest are NewsArticle.
SCHEMA_TYPES = {
    "opinion": "OpinionNewsArticle",
    "analysis": "AnalysisNewsArticle",
    "explainer": "BackgroundNewsArticle",
    "live": "LiveBlogPosting",
}


def schema_type(label: str) -> str:
    """The JSON-LD ``@type`` of a story with this label."""
    return SCHEMA_TYPES.get(label, "NewsArticle")


@register.simple_tag
def story_label(label: str, css_class: str = "label") -> SafeString:
    """The kicker that says what kind of story this is ("Opinion"), translated; empty for
    plain news."""
    if label not in LABELS:
        return mark_safe("")
    return format_html('<span class="{} label-{}">{}</span>', css_class, label, LABELS[label])


def byline(names: list[str]) -> str:
    """ "By A, B and C", as the article page writes it."""
    if not names:
        return ""
    if len(names) == 1:
        joined = names[0]
    else:
        joined = f"{', '.join(names[:-1])} {gettext('and')} {names[-1]}"
    return f"{gettext('By')} {joined}"


@register.simple_tag(takes_context=True)
def card(
    context: template.Context, item: Any, level: int = 3, standfirst: bool = False
) -> SafeString:
    """A story card in a listing: thumbnail (where the listing fetched images), label,
    headline link, optional standfirst, byline (where fetched) and date.

    Written in Python because listings show up to twenty cards and a template include per
    card cost more than the rest of the page. A bundle build (``build_memo``) shows a story's
    card in its listings and the "Read more" of later stories: it writes each card once for
    the pages that show the same one with their links written the same way.
    """
    if not build_memo.is_building() or not isinstance(item, dict):
        return _card(context, item, level, standfirst)
    image = item.get("image")
    key = (
        "card",
        level,
        standfirst,
        translation.get_language(),
        paths.link(context, "/"),  # how this page writes its links (depth, or absolute)
        item["url_path"],
        item["title"],
        item["first_published_at"],
        item.get("label", ""),
        item["standfirst"] if standfirst else "",
        tuple(item.get("authors") or ()),
        (image.pk, image.file.name) if image is not None else None,
    )
    return build_memo.remembered(key, lambda: _card(context, item, level, standfirst))


def _card(context: template.Context, item: Any, level: int, standfirst: bool) -> SafeString:
    published = localtime(_field(item, "first_published_at"))
    row = item if isinstance(item, dict) else {}
    label = row.get("label", "") if row else getattr(item, "label", "")
    names = row.get("authors") or []
    return format_html(
        '<article class="card{}">{}{}<h{} class="card-title"><a href="{}">{}</a></h{}>{}'
        '<p class="meta">{}<time datetime="{}" data-ago>{}</time></p></article>',
        " card-with-image" if row.get("image") is not None else "",
        thumbnail_tag(context, row.get("image")),
        format_html('<p class="card-label">{}</p>', story_label(label)) if label else "",
        level,
        href(context, _field(item, "url_path")),
        _field(item, "title"),
        level,
        format_html('<p class="card-standfirst">{}</p>', _field(item, "standfirst"))
        if standfirst
        else "",
        format_html('<span class="byline">{}</span> ', byline(names)) if names else "",
        datetime_attr(published),
        date_format(published, "DATE_FORMAT"),
    )
