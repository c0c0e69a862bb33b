"""Bar charts drawn on the server as inline SVG: no JavaScript, nothing from elsewhere.

A chart is an image with a name (``role="img"``, ``aria-label``) whose bars carry ``<title>``
tooltips; the same figures go in a table next to it (see ``Chart.rows``) for screen readers
and for anyone who wants the exact numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
HEIGHT = 240
LEFT = 84  # room for the value axis labels
RIGHT = 8
TOP = 14
BOTTOM = 30  # room for the period labels
LEGEND = 22
COLOURS = ("#1f6fb2", "#c2410c", "#4b5563")
MAX_AXIS_LABELS = 12


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


@dataclass(frozen=True)
class Chart:
    """The SVG and the figures behind it, formatted, for the table beside it."""

    title: str
    svg: SafeString
    columns: list[str]
    rows: list[tuple[str, list[str]]]


def nice_step(largest: float, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 × 10ⁿ, at least 1) so that ``ticks`` steps reach ``largest``."""
    if largest <= 0:
        return 1
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return max(1, int(factor * magnitude))
    return max(1, int(10 * magnitude))  # pragma: no cover - the loop always returns


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    format_value: Callable[[int], str],
    axis_labels: Sequence[str] | None = None,
) -> Chart:
    """Bars for each label, one per series side by side, on a value axis from zero.

    ``labels`` name the periods in tooltips and the table; ``axis_labels`` (shorter) go
    under the bars, thinned out when there are many.
    """
    count = len(labels)
    axis_labels = list(axis_labels) if axis_labels is not None else list(labels)
    largest = max((value for s in series for value in s.values), default=0)
    step = nice_step(largest)
    top_value = max(step, math.ceil(largest / step) * step)
    legend = LEGEND if len(series) > 1 else 0
    plot_top = TOP + legend
    plot_height = HEIGHT - plot_top - BOTTOM
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(count, 1)
    bar_width = slot * 0.8 / max(len(series), 1)

    def y(value: float) -> float:
        return plot_top + plot_height * (1 - value / top_value)

    parts: list[SafeString] = []
    # Value axis: grid lines and labels.
    for tick in range(0, top_value + 1, step):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor" '
                'stroke-opacity="0.15"/>'
                '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle" '
                'font-size="11" fill="currentColor">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                _n(y(tick)),
                _n(y(tick)),
                LEFT - 6,
                _n(y(tick)),
                format_value(tick),
            )
        )
    # Bars.
    for index, one in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        for n, value in enumerate(one.values):
            x = LEFT + slot * n + slot * 0.1 + bar_width * index
            tooltip = f"{labels[n]}: {format_value(value)}"
            if len(series) > 1:
                tooltip = f"{labels[n]}, {one.name}: {format_value(value)}"
            parts.append(
                format_html(
                    '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}</title></rect>",
                    _n(x),
                    _n(y(value)),
                    _n(bar_width),
                    _n(plot_height * value / top_value),
                    colour,
                    tooltip,
                )
            )
    # Period axis, thinned out so the labels do not overlap.
    every = math.ceil(count / MAX_AXIS_LABELS) if count else 1
    for n, label in enumerate(axis_labels):
        if (count - 1 - n) % every:  # keep the latest period labelled
            continue
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="11" '
                'fill="currentColor">{}</text>',
                _n(LEFT + slot * n + slot / 2),
                HEIGHT - BOTTOM + 16,
                label,
            )
        )
    parts.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="currentColor" stroke-opacity="0.6"/>',
            LEFT,
            WIDTH - RIGHT,
            _n(y(0)),
            _n(y(0)),
        )
    )
    if legend:
        parts.append(
            format_html_join(
                "",
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="currentColor">{}</text>',
                (
                    (
                        LEFT + 140 * index,
                        TOP - 8,
                        COLOURS[index % len(COLOURS)],
                        LEFT + 140 * index + 18,
                        TOP + 2,
                        one.name,
                    )
                    for index, one in enumerate(series)
                ),
            )
        )
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="donations-chart" role="img" '
        'aria-label="{}" viewBox="0 0 {} {}" width="100%" style="max-width: {}px; '
        'height: auto;"><title>{}</title>{}</svg>',
        title,
        WIDTH,
        HEIGHT,
        WIDTH,
        title,
        mark_safe("".join(parts)),  # noqa: S308 - every part was built by format_html
    )
    rows = [(labels[n], [format_value(s.values[n]) for s in series]) for n in range(count)]
    return Chart(title=title, svg=svg, columns=[s.name for s in series], rows=rows)


def _n(value: float) -> str:
    """A coordinate, short: ``12.5``, ``40``."""
    return f"{value:.1f}".removesuffix(".0")
