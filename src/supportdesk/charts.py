"""Small inline SVG charts for staff pages that summarise numbers.

Each function returns the ``Markup`` of one ``<svg role="img">`` named by its own ``<title>`` and
``<desc>``. No script, no external resource, no ``style`` attribute (the Content-Security-Policy
refuses inline styles): colours are presentation attributes. Every text is escaped, because
``Markup.format`` escapes what it is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

INK = "#1c2430"
MUTED = "#4f5b6b"
GRID = "#d5dbe3"
BLUE = "#0b5cad"
GREEN = "#1d6b37"
RED = "#a4161a"

#: Longer labels are cut in the chart; the full text stays in the bar's tooltip and the table.
LABEL_CHARS = 24


@dataclass(frozen=True)
class Series:
    """One series of a daily chart: its name in the legend, one value per day, its colour."""

    label: str
    values: Sequence[float]
    colour: str = BLUE


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[tuple[str, float]],
    *,
    colour: str = BLUE,
    empty: str = "",
) -> Markup:
    """Horizontal bars, one per ``(label, value)``, each with its value at its end."""
    width, label_width, row = 480, 180, 26
    bar_room = width - label_width - 48
    height = max(len(bars), 1) * row + 8
    top = max((value for _, value in bars), default=0) or 1
    parts = []
    for index, (label, value) in enumerate(bars):
        y = 4 + index * row
        length = round(bar_room * value / top, 1)
        parts.append(
            Markup(
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" fill="{}">{}</text>'
            ).format(
                label_width - 8,
                y + 17,
                INK,
                _cut(label),
                label_width,
                y + 4,
                length,
                row - 8,
                colour,
                label,
                _number(value),
                label_width + length + 6,
                y + 17,
                INK,
                _number(value),
            )
        )
    if not bars:
        parts.append(Markup('<text x="8" y="21" fill="{}">{}</text>').format(MUTED, empty))
    return _svg(chart_id, title, description, width, height, parts)


def daily_chart(
    chart_id: str,
    title: str,
    description: str,
    day_labels: Sequence[str],
    series: Sequence[Series],
    *,
    value_axis: str,
    label_every: int = 7,
) -> Markup:
    """Grouped bars per day, a legend, a value axis with its name, and every ``label_every``-th
    day named on the time axis (counted back from the last day)."""
    width, height = 640, 250
    left, right, top, bottom = 56, 632, 34, 210
    days = len(day_labels)
    peak = _nice_ceiling(max((v for s in series for v in s.values), default=0))
    slot = (right - left) / max(days, 1)
    bar = slot * 0.8 / max(len(series), 1)
    parts = [_legend(series), *_value_axis(value_axis, peak, left, right, top, bottom)]
    for day, label in enumerate(day_labels):
        x = left + day * slot
        for index, line in enumerate(series):
            value = line.values[day]
            if value <= 0:
                continue
            bar_height = round((bottom - top) * value / peak, 1)
            parts.append(
                Markup(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}, {}: {}</title></rect>"
                ).format(
                    round(x + slot * 0.1 + index * bar, 1),
                    round(bottom - bar_height, 1),
                    round(bar, 1),
                    bar_height,
                    line.colour,
                    label,
                    line.label,
                    _number(value),
                )
            )
        if (days - 1 - day) % label_every == 0:
            parts.append(
                Markup('<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>').format(
                    round(x + slot / 2, 1), bottom + 18, MUTED, label
                )
            )
    return _svg(chart_id, title, description, width, height, parts)


def _svg(
    chart_id: str, title: str, description: str, width: int, height: int, parts: Sequence[Markup]
) -> Markup:
    opening = Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        'aria-labelledby="{0}-title {0}-desc" viewBox="0 0 {1} {2}" width="{1}" height="{2}" '
        'font-size="12" focusable="false">'
        '<title id="{0}-title">{3}</title><desc id="{0}-desc">{4}</desc>'
    ).format(chart_id, width, height, title, description)
    return opening + Markup("").join(parts) + Markup("</svg>")


def _legend(series: Sequence[Series]) -> Markup:
    items = []
    x = 56
    for line in series:
        items.append(
            Markup(
                '<rect x="{}" y="6" width="12" height="12" fill="{}"/>'
                '<text x="{}" y="16" fill="{}">{}</text>'
            ).format(x, line.colour, x + 18, INK, line.label)
        )
        x += 18 + 8 * len(line.label) + 24
    return Markup("").join(items)


def _value_axis(
    name: str, peak: float, left: int, right: int, top: int, bottom: int
) -> list[Markup]:
    """Grid lines at zero, half and the top, their values, the baseline and the axis name."""
    parts = []
    for value in (0, peak / 2, peak):
        y = round(bottom - (bottom - top) * value / peak, 1)
        parts.append(
            Markup(
                '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="{3}"/>'
                '<text x="{4}" y="{5}" text-anchor="end" fill="{6}">{7}</text>'
            ).format(
                left,
                y,
                right,
                MUTED if value == 0 else GRID,
                left - 6,
                y + 4,
                MUTED,
                _number(value),
            )
        )
    middle = (top + bottom) // 2
    parts.append(
        Markup(
            '<text x="14" y="{0}" text-anchor="middle" fill="{1}" '
            'transform="rotate(-90 14 {0})">{2}</text>'
        ).format(middle, MUTED, name)
    )
    return parts


def _nice_ceiling(value: float) -> float:
    """The smallest of 2, 4, 6, 8 or 10 times a power of ten that is at least ``value``, so that
    the grid's middle line falls on a whole number too."""
    if value <= 2:
        return 2
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (2, 4, 6, 8, 10) if step * power >= value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
