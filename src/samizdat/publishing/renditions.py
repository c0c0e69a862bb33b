"""WebP renditions of an image at the widths reader pages use, looked up once per process.

Wagtail caches renditions, but each lookup still builds filter objects and reads the cache.
An image's renditions at fixed widths never change while its file stays the same, so their
URLs and sizes are kept in memory keyed by the image's id and file name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from wagtail.images.models import AbstractImage

from samizdat.core.paths import link

WIDTHS = (400, 800, 1200)
SIZES = "(min-width: 48rem) 46rem, 100vw"
LAZY = mark_safe(' loading="lazy" decoding="async"')
MEMO_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class Rendered:
    url: str
    width: int
    height: int


_memo: dict[tuple[int, str, str], tuple[Rendered, ...]] = {}


def webp_renditions(image: AbstractImage) -> tuple[Rendered, ...]:
    """Renditions of ``image`` at each of ``WIDTHS`` it is wide enough for (at least one)."""
    key = (image.pk, image.file.name, image.file_hash)
    found = _memo.get(key)
    if found is None:
        widths = [width for width in WIDTHS if width <= image.width] or [image.width]
        specs = [f"width-{width}|format-webp" for width in widths]
        renditions = image.get_renditions(*specs)
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
