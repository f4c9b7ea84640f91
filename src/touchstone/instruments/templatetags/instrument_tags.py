"""Instrument names as clinicians write them ("PHQ-9", not "PHQ9" or "phq9"), from the one
source (``catalogue.short_name``): ``{{ a.instrument_id|instrument_name }}``; and the
definitions' source notes in words (``{{ source|readable_source }}``); the notes under an
instrument's scores (``{% score_notes definition %}``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from touchstone.instruments.catalogue import UnknownInstrumentError, short_name
from touchstone.science.instruments import Instrument

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


# The definitions' "source" notes are written for the people who keep them: keys of the
# reference file ("[Kroenke-2001]", "[CAM-PHQ9]") and sections of the project's docs
# ("per instruments.md 2.3"). Issue 17 §4: no file names or internal ids in the interface.
_AUTHOR_YEAR = re.compile(r"\[([A-Z][A-Za-z']+)-(\d{4})\]")
_OTHER_KEY = re.compile(r"\[[A-Za-z0-9][\w.-]*\]")
_FILE_REFERENCE = re.compile(
    r"(?:\b(?:per|via|see|in)\s+)?\b[\w/.-]+\.md\b(?:\s+\d+(?:[./]\d+)*)?", re.IGNORECASE
)
_EMPTY_BRACKETS = re.compile(r"\(\s*[,;]?\s*\)")
_SEPARATOR_RUN = re.compile(r"\s*([,;])(?:\s*[,;])+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,;.)])")


@register.filter
def readable_source(source: str | None) -> str:
    """A definition's source note as a reader sees it: an author-year key becomes "Kroenke
    2001", a web-page key and a reference to the project's files are left out, and the
    punctuation they leave behind is tidied. Empty when nothing readable is left."""
    text = _AUTHOR_YEAR.sub(r"\1 \2", source or "")
    text = _OTHER_KEY.sub("", text)
    text = _FILE_REFERENCE.sub("", text)
    text = _EMPTY_BRACKETS.sub("", text)
    text = _SEPARATOR_RUN.sub(r"\1", text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(text.split()))
    return text.strip(" ,;:")


#: ``score_notes`` already rendered, by (definition's identity, language): the definition is
#: held with its notes, so that its ``id`` is not another's while the entry lives.
_NOTES: dict[tuple[int, str | None], tuple[Instrument, SafeString]] = {}
#: More definitions than a clinic gives; past it the notes are rendered afresh.
_NOTES_KEPT = 256


@register.simple_tag
def score_notes(definition: Instrument) -> SafeString:
    """An instrument's severity bands, cut-offs and recall period, as shown under its scores
    (measures/_score_notes.html), rendered once per definition and language.

    They depend on nothing else, and rendering them was a twentieth of a progress page. A
    definition never changes once loaded (a clinic's edited questionnaire is a new object),
    so its identity is an exact key; the language picks the translation.
    """
    key = (id(definition), get_language())
    kept = _NOTES.get(key)
    if kept is not None and kept[0] is definition:
        return kept[1]
    notes = render_to_string("measures/_score_notes.html", {"d": definition})
    if len(_NOTES) >= _NOTES_KEPT:
        _NOTES.clear()
    _NOTES[key] = (definition, notes)
    return notes
