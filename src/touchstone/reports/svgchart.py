"""Small server-side SVG line charts for printed reports (no JavaScript reaches a PDF).

Hand-built like ``science/meta/plots.py``: severity bands as pale rectangles behind the
scores, a line with a dot per score and an open diamond where the change from baseline is
reliable. Colours are the measures app's ColorBrewer YlOrBr bands; every chart travels with
a data table in the report, so nothing is conveyed by colour alone.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from touchstone.lib.charts import band_colours
from touchstone.measures.progress import Series

WIDTH, HEIGHT = 520, 180
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 10, 28


def _x(day: dt.date, first: dt.date, last: dt.date) -> float:
    span = max((last - first).days, 1)
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - first).days / span


def _y(value: float, low: float, high: float) -> float:
    span = max(high - low, 1)
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - low) / span)


def series_svg(series: Series) -> SafeString:
    """An ``<svg>`` of one instrument's totals over time (empty string without scores)."""
    d = series.definition
    points = [
        (timezone.localdate(p.when), p.total, p.reliable_change)
        for p in series.points
        if p.total is not None
    ]
    if not points:
        return mark_safe("")
    first, last = points[0][0], points[-1][0]
    low, high = float(d.total_min), float(d.total_max)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(d.title)} over time" '
        'font-family="sans-serif" font-size="10">'
    ]
    for band, colour in zip(d.bands, band_colours(len(d.bands)), strict=True):
        top = _y(min(band.max + 1, high), low, high) if band.max < high else _y(high, low, high)
        bottom = _y(band.min, low, high)
        parts.append(
            f'<rect x="{LEFT}" y="{top:.1f}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{max(bottom - top, 0):.1f}" fill="{colour}" opacity="0.55">'
            f"<title>{escape(band.label)}</title></rect>"
        )
    for tick in (low, (low + high) / 2, high):
        y = _y(tick, low, high)
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{tick:g}</text>'
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ccc" stroke-width="0.5"/>'
        )
    for day, anchor in ((first, "start"), (last, "end")):
        parts.append(
            f'<text x="{_x(day, first, last):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}">'
            f"{day.isoformat()}</text>"
        )
    coords = [(_x(day, first, last), _y(total, low, high)) for day, total, _ in points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#1f2a30" stroke-width="1.5"/>')
    for (x, y), (_, _, reliable) in zip(coords, points, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f2a30"/>')
        if reliable in ("improved", "deteriorated"):
            parts.append(
                f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="none" '
                f'stroke="#2d6a75" stroke-width="1.5" transform="rotate(45 {x:.1f} {y:.1f})"/>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (numbers and escaped labels only)
