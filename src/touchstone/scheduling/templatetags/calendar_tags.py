"""The clinic-wide week's appointment links, built in one join instead of a template loop:
that week holds up to 1,500 appointments (bench/calendar_week.py), and a ``{% for %}`` over
them cost most of the page's time (and Django's lazy-aware ``escape`` a tenth of the rest: the
standard library's is used)."""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def appointment_links(times: list[tuple[int, str, bool]], path: str) -> SafeString:
    """``<a href="{path}{id}/">HH:MM</a>`` per (id, "HH:MM", freed) of a week cell, freed ones
    (cancelled, no-show) struck through."""
    base = escape(path)
    return mark_safe(  # noqa: S308 - the path and times are escaped, ids are ints
        " ".join(
            f'<a class="freed" href="{base}{pk:d}/"><s>{escape(when)}</s></a>'
            if freed
            else f'<a href="{base}{pk:d}/">{escape(when)}</a>'
            for pk, when, freed in times
        )
    )
