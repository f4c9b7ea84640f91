"""The web layer's view of the instrument engine: loaded once, offered by id."""

from __future__ import annotations

from functools import cache

from touchstone.care.models import SESSION_RATING_INSTRUMENTS
from touchstone.science.instruments import Instrument, all_instruments, load_instrument


@cache
def instrument(instrument_id: str) -> Instrument:
    """The instrument with this id; raises ``UnknownInstrumentError``."""
    return load_instrument(instrument_id)


def administrable() -> list[Instrument]:
    """Instruments whose item text ships with Touchstone, so a person can answer them, except
    the retired session-rating questionnaires (the ratings live on the visit)."""
    return [
        i
        for i in all_instruments().values()
        if i.licence.text_included and i.id not in SESSION_RATING_INSTRUMENTS
    ]


def choices() -> list[tuple[str, str]]:
    return [(i.id, i.title) for i in administrable()]


def short_name(instrument_id: str) -> str:
    """A label for tables: the abbreviation in a validated instrument's title ("PHQ-9"), or
    the title without its parenthesis for Touchstone's own ratings ("... rating: anxiety")."""
    definition = instrument(instrument_id)
    title = definition.title
    if definition.validated and title.endswith(")") and "(" in title:
        return title[title.rindex("(") + 1 : -1]
    return title.split(" (", 1)[0]
