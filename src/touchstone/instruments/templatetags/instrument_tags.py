"""Instrument names as clinicians write them ("PHQ-9", not "PHQ9" or "phq9"), from the one
source (``catalogue.short_name``): ``{{ a.instrument_id|instrument_name }}``."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from touchstone.instruments.catalogue import UnknownInstrumentError, short_name

register = template.Library()


@register.filter
def instrument_name(instrument_id: str) -> str:
    """The instrument's display name; an id no definition knows any more (a clinic's own
    questionnaire since withdrawn) is shown as stored rather than failing the page."""
    try:
        return short_name(instrument_id)
    except UnknownInstrumentError:
        return str(instrument_id)


@register.filter
def instrument_names(instrument_ids: Iterable[str]) -> str:
    """A list of instruments in words: "PHQ-9, GAD-7"."""
    return ", ".join(instrument_name(i) for i in instrument_ids)
