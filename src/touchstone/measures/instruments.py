"""The instrument engine as the measures app uses it: the clinic's catalogue
(``touchstone.instruments.catalogue``) plus the text an administration showed."""

from __future__ import annotations

from touchstone.instruments.catalogue import (
    READ_MODES,
    administrable,
    choices,
    clinic_text,
    current_text,
    custom_instruments,
    enterable_languages,
    instrument,
    is_custom,
    label,
    plan_errors,
    ships_text,
    short_name,
    with_text,
)
from touchstone.measures.models import Administration
from touchstone.science.instruments import Instrument, in_language

__all__ = [
    "READ_MODES",
    "administrable",
    "choices",
    "clinic_text",
    "current_text",
    "custom_instruments",
    "definition_for",
    "enterable_languages",
    "instrument",
    "is_custom",
    "label",
    "plan_errors",
    "ships_text",
    "short_name",
    "with_text",
]


def definition_for(administration: Administration) -> Instrument:
    """What the client of ``administration`` was shown: the scoring definition plus the
    clinic's licensed text version recorded on it, or its official translation in the
    administration's language."""
    definition = instrument(administration.instrument_id)
    if administration.text is not None:
        return with_text(definition, administration.text)
    return in_language(definition, administration.language)
