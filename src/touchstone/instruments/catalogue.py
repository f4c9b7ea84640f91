"""Which instruments a clinic can give, with which text: the web layer's view of the
instrument engine.

Three kinds of instrument reach a client:

* shipped with their text (PHQ family, GAD-7, WHO-5): given everywhere at once; in a
  language the definition has no official translation for (PHQ-15 in Spanish), once the
  owner has entered the publisher's official translation (an ``InstrumentText`` in that
  language, attested like a licensed text);
* shipped without text because their licence does not let Touchstone ship it (EPDS, ISI,
  PSS-10, MRS, WAI-SR): given once the clinic's owner has entered the licensed text
  (:class:`~touchstone.measures.models.InstrumentText`); the scoring block is the shipped one;
* a clinic's own questionnaires (:class:`~touchstone.measures.models.CustomInstrument`), once
  live; never validated.

``instrument(id)`` is the scoring definition (no clinic text): scores, bands, change statistics
and exports read it; ``with_text`` adds a clinic's licensed text
(``measures.instruments.definition_for`` adds the text an administration showed).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache, lru_cache
from typing import Any

from django.conf import settings

from touchstone.accounts.models import Clinic
from touchstone.instruments.models import CustomInstrument, CustomStatus, InstrumentText
from touchstone.science.instruments import (
    Instrument,
    UnknownInstrumentError,
    all_instruments,
    instrument_ids,
    load_instrument,
    merge_texts,
    parse_definition,
)

#: Channels where a person reads the questions: they need the item text.
READ_MODES = frozenset({"clinic", "tablet", "portal"})
#: A clinic's own instrument id: ``c<clinic id>-<the clinic's id>`` (unique across clinics).
CUSTOM_ID = re.compile(r"^c(\d+)-[a-z0-9][a-z0-9-]*$")
#: The retired ``rating-*`` questionnaires (the ratings live on the visit): never started or
#: planned. The same set as ``care.models.SESSION_RATING_INSTRUMENTS`` (a test checks).
SESSION_RATING_INSTRUMENTS = frozenset(i for i in instrument_ids() if i.startswith("rating-"))


@cache
def _builtin(instrument_id: str) -> Instrument:
    return load_instrument(instrument_id)


@lru_cache(maxsize=256)
def _parsed(instrument_id: str, pk: int, raw: str) -> Instrument:
    return parse_definition(json.loads(raw), f"{instrument_id}.json")


def instrument(instrument_id: str) -> Instrument:
    """The scoring definition with this id: shipped, or a clinic's live own instrument.

    Raises ``UnknownInstrumentError``.
    """
    if CUSTOM_ID.match(instrument_id):
        row = (
            CustomInstrument.objects.filter(instrument_id=instrument_id, status=CustomStatus.LIVE)
            .values_list("pk", "definition")
            .first()
        )
        if row is None:
            raise UnknownInstrumentError(f"unknown instrument {instrument_id!r}")
        return _parsed(instrument_id, row[0], json.dumps(row[1], sort_keys=True))
    return _builtin(instrument_id)


def is_custom(instrument_id: str) -> bool:
    return CUSTOM_ID.match(instrument_id) is not None


def ships_text(definition: Instrument) -> bool:
    """Whether the definition carries its item text (else a clinic enters its licensed text)."""
    return definition.licence.text_included


def current_text(clinic: Clinic | int, instrument_id: str, language: str = "en") -> Any:
    """The clinic's newest licensed text of ``instrument_id`` in ``language``, or ``None``."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    return (
        InstrumentText.objects.filter(
            clinic_id=clinic_id, instrument_id=instrument_id, language=language
        )
        .select_related("attested_by__user")
        .order_by("-version")
        .first()
    )


def clinic_text(clinic: Clinic | int, definition: Instrument, wanted: str) -> Any:
    """The clinic's text to show when ``definition`` is given in ``wanted``, or ``None``
    (the shipped text, or its shipped translation, is shown).

    A licensed instrument: its text in ``wanted``, else in the definition's own language. A
    shipped one: the official translation the clinic entered in ``wanted`` (or its primary
    language: "es-US" is "es") when the definition ships none in it.
    """
    if is_custom(definition.id):
        return None
    if not ships_text(definition):
        text = current_text(clinic, definition.id, wanted)
        if text is None and wanted != definition.language:
            text = current_text(clinic, definition.id, definition.language)
        return text
    for candidate in dict.fromkeys((wanted, wanted.split("-")[0].lower())):
        if candidate in definition.languages:
            return None
        text = current_text(clinic, definition.id, candidate)
        if text is not None:
            return text
    return None


def enterable_languages(definition: Instrument) -> list[tuple[str, str]]:
    """The offered languages (``settings.LANGUAGES``) a clinic may enter a text of
    ``definition`` in: any for a licensed instrument; for one shipped with its text, those
    it ships no official translation for. None for a clinic's own questionnaire."""
    if is_custom(definition.id):
        return []
    return [
        (code, name)
        for code, name in settings.LANGUAGES
        if not ships_text(definition) or code not in definition.languages
    ]


def with_text(definition: Instrument, text: InstrumentText | None) -> Instrument:
    """``definition`` with a clinic's licensed text merged in, in the text's language
    (scoring unchanged)."""
    if text is None:
        return definition
    return replace(merge_texts(definition, text.texts), language=text.language, translations={})


def _texts_entered(clinic_id: int) -> set[str]:
    return set(
        InstrumentText.objects.filter(clinic_id=clinic_id).values_list("instrument_id", flat=True)
    )


def custom_instruments(clinic: Clinic | int, *, live_only: bool = True) -> list[Instrument]:
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    rows = CustomInstrument.objects.filter(clinic_id=clinic_id)
    if live_only:
        rows = rows.filter(status=CustomStatus.LIVE)
    return [
        _parsed(i, pk, json.dumps(d, sort_keys=True))
        for i, pk, d in rows.values_list("instrument_id", "pk", "definition")
    ]


def administrable(clinic: Clinic | int) -> list[Instrument]:
    """The instruments this clinic can give in every channel: those shipped with their text,
    the licensed ones whose text the clinic has entered, and the clinic's live own ones;
    never the retired session-rating questionnaires (the ratings live on the visit)."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    entered = _texts_entered(clinic_id)
    shipped = [
        i
        for i in all_instruments().values()
        if i.id not in SESSION_RATING_INSTRUMENTS and (ships_text(i) or i.id in entered)
    ]
    return shipped + custom_instruments(clinic_id)


def choices(clinic: Clinic | int) -> list[tuple[str, str]]:
    return [(i.id, label(i)) for i in administrable(clinic)]


def label(definition: Instrument) -> str:
    """The title, marked when the instrument is a clinic's own (never validated)."""
    if is_custom(definition.id):
        return f"{definition.title} (clinic's own, not validated)"
    return definition.title


def plan_errors(clinic: Clinic | int, instrument_ids: list[str]) -> list[str]:
    """Why these ids cannot be in this clinic's measurement plans (empty: they can)."""
    known = {i.id for i in administrable(clinic)}
    errors = []
    for instrument_id in instrument_ids:
        if instrument_id in known:
            continue
        try:
            definition = instrument(instrument_id)
        except UnknownInstrumentError:
            errors.append(f"Unknown instrument: {instrument_id}.")
            continue
        if is_custom(instrument_id):  # another clinic's own instrument
            errors.append(f"Unknown instrument: {instrument_id}.")
        elif not ships_text(definition):
            errors.append(
                f"{definition.title} is licensed: the owner enters the clinic's licensed "
                "text first (Questionnaires and licences)."
            )
    return errors


def short_name(instrument_id: str) -> str:
    """A label for tables: the abbreviation in a validated instrument's title ("PHQ-9"), the
    title without its parenthesis for Touchstone's own ratings ("... rating: anxiety"), and a
    clinic's own questionnaire's title marked "not validated"."""
    definition = instrument(instrument_id)
    title = definition.title
    if is_custom(instrument_id):
        return f"{title} (not validated)"
    if definition.validated and title.endswith(")") and "(" in title:
        return title[title.rindex("(") + 1 : -1]
    return title.split(" (", 1)[0]
