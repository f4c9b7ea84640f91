"""Instrument names as clinicians write them ("PHQ-9", not "PHQ9" or "phq9"), from the one
source (``catalogue.short_name``): ``{{ a.instrument_id|instrument_name }}``; and the
definitions' source notes in words (``{{ source|readable_source }}``)."""

from __future__ import annotations

import re
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
