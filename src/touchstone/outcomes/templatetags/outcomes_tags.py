"""Number formatting for outcome tables: hidden (suppressed) values print as a dash."""

from __future__ import annotations

from typing import Any

from django import template

from touchstone.measures.instruments import short_name

register = template.Library()

HIDDEN = "—"


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    """A proportion as a percentage, ``None`` as a dash."""
    if value is None:
        return HIDDEN
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def num(value: Any, digits: int = 2) -> str:
    """A number to ``digits`` decimals, ``None`` as a dash."""
    if value is None:
        return HIDDEN
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.{int(digits)}f}"


@register.filter
def count(value: Any) -> str:
    """A count, or "<11" when suppressed (``None``)."""
    return "<11 or hidden" if value is None else str(value)


@register.filter
def instrument_name(instrument_id: str) -> str:
    """An instrument as clinicians write it (``phq9`` → PHQ-9)."""
    return short_name(instrument_id)
