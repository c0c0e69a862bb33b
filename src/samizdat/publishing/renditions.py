"""WebP renditions of an image at the widths reader pages use, and small AVIF/WebP
thumbnails for story cards, looked up once per process.

Wagtail caches renditions, but each lookup still builds filter objects and reads the cache.
An image's renditions at fixed widths never change while its file stays the same, so their
URLs and sizes are kept in memory keyed by the image's id and file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from PIL import features
from wagtail.images.models import AbstractImage

from samizdat.core.paths import link

WIDTHS = (400, 800, 1200)
SIZES = "(min-width: 48rem) 46rem, 100vw"
LAZY = mark_safe(' loading="lazy" decoding="async"')
MEMO_LIMIT = 20_000
# Card thumbnails: cropped to 3:2, 7.5rem wide beside the headline on a phone; from 48rem on,
# above the headline across a grid column (at most about 20rem). A phone of 375 px at two
# device pixels per CSS pixel needs 240 px and takes the 320 px file.
THUMBNAIL_WIDTHS = (160, 320, 480)
THUMBNAIL_RATIO = (3, 2)
THUMBNAIL_SIZES = "(min-width: 48rem) 20rem, 7.5rem"
# AVIF where this Pillow can write it (browsers that read it take it first), WebP always.
THUMBNAIL_FORMATS = ("avif", "webp") if features.check("avif") else ("webp",)
MIME_TYPES = {"avif": "image/avif", "webp": "image/webp"}


@dataclass(frozen=True, slots=True)
class Rendered:
    url: str
    width: int
    height: int


def stored_renditions(image: AbstractImage, specs: list[str]) -> dict[str, Any]:
    """``image.get_renditions(*specs)`` by spec, as the database holds them.

    Wagtail creates missing renditions with ``bulk_create(ignore_conflicts=True)`` and returns
    what it made even where another process inserted the same rendition first: that copy's
    file is not the one the database names, so two processes (a bundle build's) would write
    different addresses for one image. New renditions are read back, and a losing copy's
    file is removed.
    """
    made = image.get_renditions(*specs)
    if all(rendition.pk is not None for rendition in made.values()):
        return made
    stored = {
        (rendition.filter_spec, rendition.focal_point_key): rendition
        for rendition in image.renditions.filter(filter_spec__in=specs)
    }
    found = {}
    for spec, rendition in made.items():
        kept = stored.get((rendition.filter_spec, rendition.focal_point_key), rendition)
        if kept.file.name != rendition.file.name:
            rendition.file.storage.delete(rendition.file.name)
        found[spec] = kept
    return found


_memo: dict[tuple[int, str, str], tuple[Rendered, ...]] = {}
_thumbnail_memo: dict[tuple[int, str, str], dict[str, tuple[Rendered, ...]]] = {}


def webp_renditions(image: AbstractImage) -> tuple[Rendered, ...]:
    """Renditions of ``image`` at each of ``WIDTHS`` it is wide enough for (at least one)."""
    key = (image.pk, image.file.name, image.file_hash)
    found = _memo.get(key)
    if found is None:
        widths = [width for width in WIDTHS if width <= image.width] or [image.width]
        specs = [f"width-{width}|format-webp" for width in widths]
        renditions = stored_renditions(image, specs)
        found = tuple(
            Rendered(renditions[spec].url, renditions[spec].width, renditions[spec].height)
            for spec in specs
        )
        if len(_memo) >= MEMO_LIMIT:
            _memo.clear()
        _memo[key] = found
    return found


def image_tag(
    context: Any,
    image: AbstractImage | None,
    alt: str | None = None,
    *,
    eager: bool = False,
    sizes: str = SIZES,
) -> SafeString:
    """An ``<img>`` with WebP renditions in ``srcset``, every URL relative to the page.

    ``alt=None`` uses the image's own description; ``alt=""`` marks it decorative; ``sizes``
    is how wide the image is shown (the article column by default).
    """
    if image is None:
        return mark_safe("")
    renditions = webp_renditions(image)
    middle = renditions[min(1, len(renditions) - 1)]
    return format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{}>',
        link(context, middle.url),
        ", ".join(f"{link(context, r.url)} {r.width}w" for r in renditions),
        sizes,
        middle.width,
        middle.height,
        image.default_alt_text if alt is None else alt,
        mark_safe("") if eager else LAZY,
    )


def thumbnail_height(width: int) -> int:
    return round(width * THUMBNAIL_RATIO[1] / THUMBNAIL_RATIO[0])


def thumbnail_renditions(image: AbstractImage) -> dict[str, tuple[Rendered, ...]]:
    """Card thumbnails of ``image``, cropped around its focal point, per format: each of
    ``THUMBNAIL_WIDTHS`` the image is wide enough for (at least the smallest)."""
    key = (image.pk, image.file.name, image.file_hash)
    found = _thumbnail_memo.get(key)
    if found is None:
        widths = [width for width in THUMBNAIL_WIDTHS if width <= image.width]
        widths = widths or [THUMBNAIL_WIDTHS[0]]
        specs = {
            kind: [f"fill-{w}x{thumbnail_height(w)}|format-{kind}" for w in widths]
            for kind in THUMBNAIL_FORMATS
        }
        renditions = stored_renditions(image, [spec for group in specs.values() for spec in group])
        found = {
            kind: tuple(
                Rendered(renditions[spec].url, renditions[spec].width, renditions[spec].height)
                for spec in group
            )
            for kind, group in specs.items()
        }
        if len(_thumbnail_memo) >= MEMO_LIMIT:
            _thumbnail_memo.clear()
        _thumbnail_memo[key] = found
    return found


def thumbnail_tag(context: Any, image: AbstractImage | None) -> SafeString:
    """A decorative card thumbnail: ``<picture>`` with AVIF (where made) and WebP sources,
    lazy, with its size set so that nothing shifts while it loads."""
    if image is None:
        return mark_safe("")
    formats = thumbnail_renditions(image)

    def srcset(renditions: tuple[Rendered, ...]) -> str:
        return ", ".join(f"{link(context, r.url)} {r.width}w" for r in renditions)

    sources = [
        format_html(
            '<source type="{}" srcset="{}" sizes="{}">',
            MIME_TYPES[kind],
            srcset(formats[kind]),
            THUMBNAIL_SIZES,
        )
        for kind in THUMBNAIL_FORMATS
        if kind != "webp"
    ]
    webp = formats["webp"]
    smallest = webp[0]
    return format_html(
        '<picture class="card-image">{}<img src="{}" srcset="{}" sizes="{}" width="{}" '
        'height="{}" alt=""{}></picture>',
        mark_safe("".join(sources)),  # noqa: S308 - built by format_html above
        link(context, smallest.url),
        srcset(webp),
        THUMBNAIL_SIZES,
        smallest.width,
        smallest.height,
        LAZY,
    )
