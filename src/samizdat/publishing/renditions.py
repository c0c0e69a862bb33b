"""WebP renditions of an image at the widths reader pages use, looked up once per process.

Wagtail caches renditions, but each lookup still builds filter objects and reads the cache.
An image's renditions at fixed widths never change while its file stays the same, so their
URLs and sizes are kept in memory keyed by the image's id and file name.
"""

from __future__ import annotations

from dataclasses import dataclass

from wagtail.images.models import AbstractImage

WIDTHS = (400, 800, 1200)
MEMO_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class Rendered:
    url: str
    width: int
    height: int


_memo: dict[tuple[int, str], tuple[Rendered, ...]] = {}


def webp_renditions(image: AbstractImage) -> tuple[Rendered, ...]:
    """Renditions of ``image`` at each of ``WIDTHS`` it is wide enough for (at least one)."""
    key = (image.pk, image.file.name)
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
