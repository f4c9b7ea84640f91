"""Typed, immutable views of a loaded instrument definition.

A definition file (``definitions/<id>.json``) is a FHIR R4 Questionnaire plus Touchstone's
``scoring``, ``change`` and ``licence`` blocks; :mod:`touchstone.science.instruments.loader`
validates it and builds the dataclasses below. Scoring and change statistics read only these
objects, never the raw JSON. ``Instrument.definition`` keeps the raw dictionary for FHIR export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["lower_is_better", "higher_is_better"]


@dataclass(frozen=True)
class Coding:
    """A FHIR Coding: ``system`` may be ``None`` (some third-party exports omit it)."""

    system: str | None
    code: str
    display: str | None = None


@dataclass(frozen=True)
class AnswerOption:
    """One answer option of a choice item.

    ``value`` is the response value entered through the API and the command line (the
    option's ``ordinalValue``/``itemWeight``); the item score is derived from it (reversed
    for reverse-scored items).
    """

    code: str
    system: str | None
    value: int
    display: str | None = None


@dataclass(frozen=True)
class Item:
    """An answerable item, in form order. ``number`` is its 1-based position."""

    link_id: str
    number: int
    text: str | None
    codes: tuple[Coding, ...]
    options: tuple[AnswerOption, ...]
    min_value: int
    max_value: int
    scored: bool
    reverse: bool
    required: bool = True

    def item_score(self, value: int) -> int:
        """The item's contribution to the total for a response ``value`` (already in range)."""
        return self.min_value + self.max_value - value if self.reverse else value


@dataclass(frozen=True)
class Band:
    """A severity band ``min <= total <= max``; ``alert`` bands raise a clinician alert."""

    index: int
    min: int
    max: int
    label: str
    alert: bool = False


@dataclass(frozen=True)
class Cutoff:
    """A named screening cut-off: positive when ``total >= min`` (or ``total <= max``)."""

    id: str
    label: str
    min: float | None
    max: float | None
    source: str

    def positive(self, total: float) -> bool:
        """Whether ``total`` is on the positive side of this cut-off."""
        if self.min is not None:
            return total >= self.min
        assert self.max is not None
        return total <= self.max


@dataclass(frozen=True)
class RiskRule:
    """A risk item: flagged whenever its item score is ``>= min``, whatever the total."""

    link_id: str
    min: int
    label: str
    source: str


@dataclass(frozen=True)
class MissingRule:
    """How many scored items may be missing, and whether the total is then prorated.

    With ``max_missing == 0`` any missing scored item makes the total not computable. With
    ``prorate`` the total is ``round_half_up(sum_answered * n_items / n_answered)``.
    """

    max_missing: int
    prorate: bool
    note: str
    source: str


@dataclass(frozen=True)
class Subscale:
    """A named sum of a subset of the scored items."""

    id: str
    label: str
    link_ids: tuple[str, ...]


@dataclass(frozen=True)
class Transform:
    """A linear re-expression of the total, e.g. WHO-5 percentage = raw x 4."""

    id: str
    label: str
    multiply: float
    source: str


@dataclass(frozen=True)
class Norm:
    """A population mean and SD with their source."""

    mean: float | None
    sd: float
    population: str
    source: str


@dataclass(frozen=True)
class ChangeParameters:
    """Parameters for reliable and clinically significant change (Jacobson & Truax 1991).

    ``rci_sd`` is the SD entered in the reliable change index; ``cutoff`` names which
    clinical-significance cut-off is used (``a``, ``b``, ``c`` or ``published``).
    """

    direction: Direction
    reliability: float | None = None
    reliability_source: str | None = None
    rci_sd: float | None = None
    rci_sd_source: str | None = None
    published_rci_points: float | None = None
    published_rci_source: str | None = None
    functional: Norm | None = None
    dysfunctional: Norm | None = None
    cutoff: Literal["a", "b", "c", "published"] | None = None
    published_cutoff: float | None = None
    published_cutoff_source: str | None = None
    mcid: float | None = None
    mcid_source: str | None = None
    response_percent: float | None = None
    response_baseline_min: float | None = None
    response_source: str | None = None
    remission_below: float | None = None
    remission_baseline_min: float | None = None
    remission_source: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Licence:
    """Licence status: ``free``, ``own``, ``licensed`` or ``unverified``."""

    status: str
    text_included: bool
    holder: str
    note: str
    source: str
    how_to_supply_text: str | None = None


@dataclass(frozen=True)
class Instrument:
    """A validated instrument definition, ready to score."""

    id: str
    title: str
    version: str
    url: str
    code: Coding | None
    total_code: Coding
    copyright: str | None
    validated: bool
    items: tuple[Item, ...]
    scored_items: tuple[Item, ...]
    total_min: int
    total_max: int
    missing: MissingRule
    bands: tuple[Band, ...]
    cutoffs: tuple[Cutoff, ...]
    risk: tuple[RiskRule, ...]
    subscales: tuple[Subscale, ...]
    transforms: tuple[Transform, ...]
    change: ChangeParameters
    licence: Licence
    notes: tuple[str, ...] = ()
    source_file: str = ""
    definition: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def item(self, link_id: str) -> Item:
        """The item with this linkId (``KeyError`` if there is none)."""
        for it in self.items:
            if it.link_id == link_id:
                return it
        raise KeyError(link_id)

    def band_for(self, total: float) -> Band | None:
        """The severity band containing ``total``, or ``None`` if the instrument has none."""
        for b in self.bands:
            if b.min <= total <= b.max:
                return b
        return None

    @property
    def alert_bands(self) -> tuple[str, ...]:
        """Labels of the bands that raise a clinician alert (e.g. PHQ-9 'severe')."""
        return tuple(b.label for b in self.bands if b.alert)
