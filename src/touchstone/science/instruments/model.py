"""Typed, immutable views of a loaded instrument definition.

A definition file (``definitions/<id>.json``) is a FHIR R4 Questionnaire plus Touchstone's
``scoring``, ``change`` and ``licence`` blocks; :mod:`touchstone.science.instruments.loader`
validates it and builds the dataclasses below. Scoring and change statistics read only these
objects, never the raw JSON. ``Instrument.definition`` keeps the raw dictionary for FHIR export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["lower_is_better", "higher_is_better"]
#: Sex assigned at birth, as the scorer takes it: FHIR AdministrativeGender codes
#: (hl7.org/fhir/R4/valueset-administrative-gender.html); ``None`` when not recorded.
Sex = Literal["female", "male", "other", "unknown"]
SEXES: tuple[str, ...] = ("female", "male", "other", "unknown")
#: Days in one unit of a recall period (UCUM units; a month is counted as 30 days).
RECALL_UNIT_DAYS = {"d": 1, "wk": 7, "mo": 30}


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
    #: Sexes (assigned at birth) the item applies to; ``None``: everyone. PHQ-15 item 4
    #: (menstrual problems) applies to ``("female",)`` only (see :meth:`applies`).
    applies_to_sex: tuple[str, ...] | None = None

    def applies(self, sex: str | None) -> bool | None:
        """Whether the item is asked of a client of this sex assigned at birth.

        ``True``: it applies (answer it); ``False``: not applicable (a known sex outside
        :attr:`applies_to_sex`: it is not asked and left out of the total); ``None``: the sex
        is not recorded (or is "other"/"unknown"), so the item is optional: counted when
        answered, left out of the total when not (as CamCOPS does for PHQ-15 item 4 in anyone
        not recorded as female, [CAM-PHQ15]).
        """
        if self.applies_to_sex is None or sex in self.applies_to_sex:
            return True
        if sex in ("female", "male"):
            return False
        return None

    def item_score(self, value: int) -> int:
        """The item's contribution to the total for a response ``value`` (already in range)."""
        return self.min_value + self.max_value - value if self.reverse else value


def items_range(items: Iterable[Item]) -> tuple[int, int]:
    """The lowest and highest sum of these items' scores (reversal applied)."""
    lo = hi = 0
    for it in items:
        a, b = it.item_score(it.min_value), it.item_score(it.max_value)
        lo, hi = lo + min(a, b), hi + max(a, b)
    return lo, hi


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
    #: The NHS Talking Therapies set (reliable change in raw points, caseness threshold):
    #: the alternative criteria a clinic may choose (``criteria="nhs-talking-therapies"``).
    nhs_tt_points: float | None = None
    nhs_tt_caseness: float | None = None
    nhs_tt_source: str | None = None
    notes: str | None = None


#: What each licence requirement code asks, in words.
LICENCE_REQUIREMENTS = {
    "citation": "show the citation line",
    "no_modification": "do not change the wording",
    "permission": "written permission of the holder",
    "fee": "a fee may be due to the holder",
}


@dataclass(frozen=True)
class Licence:
    """Licence status: ``free``, ``own``, ``licensed`` or ``unverified``.

    ``requires`` lists what the licence asks of whoever gives or prints the instrument
    (``citation``, ``no_modification``, ``permission``, ``fee``) and ``citation`` the line to
    show with it; ``licensed`` and ``unverified`` instruments ship no item text.
    """

    status: str
    text_included: bool
    holder: str
    note: str
    source: str
    how_to_supply_text: str | None = None
    requires: tuple[str, ...] = ()
    citation: str | None = None

    @property
    def requirement_texts(self) -> tuple[str, ...]:
        """``requires`` in words, for the pages where the instrument is given or printed."""
        return tuple(LICENCE_REQUIREMENTS[r] for r in self.requires)


@dataclass(frozen=True)
class RecallPeriod:
    """The span of time the client is asked about ("over the last 2 weeks").

    ``value`` and ``unit`` (UCUM: ``d``, ``wk``, ``mo``) are the authors' recall period;
    ``source`` says where it is stated. :attr:`days` is the shortest interval after which a
    later score describes a new period: change statistics compare a follow-up with the
    baseline only when they are at least this many days apart
    (:func:`touchstone.science.episodes.episode_pairs`).
    """

    value: int
    unit: Literal["d", "wk", "mo"]
    source: str

    @property
    def days(self) -> int:
        return self.value * RECALL_UNIT_DAYS[self.unit]

    @property
    def label(self) -> str:
        """``"2 weeks"``, ``"7 days"``, ``"1 month"``."""
        word = {"d": "day", "wk": "week", "mo": "month"}[self.unit]
        return f"{self.value} {word}{'' if self.value == 1 else 's'}"


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
    #: The authors' instructions (the definition's ``display`` items), in form order.
    instructions: tuple[str, ...] = ()
    recall: RecallPeriod | None = None
    #: The language of the texts (BCP 47, FHIR ``Questionnaire.language``).
    language: str = "en"
    #: Official translations of the texts, by language (the definition's ``translations``
    #: block: instructions, item texts and option labels by linkId and code, and the source);
    #: :func:`~touchstone.science.instruments.loader.in_language` applies one.
    translations: Mapping[str, Mapping[str, Any]] = field(
        default_factory=dict, repr=False, compare=False
    )
    source_file: str = ""
    definition: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the instrument can be given in: its own, then its translations."""
        return (self.language, *sorted(self.translations))

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
    def min_followup_days(self) -> int:
        """Fewest days between a baseline and a follow-up for change statistics: one recall
        period, or one day for an instrument asked about "right now" (no recall period)."""
        return self.recall.days if self.recall is not None else 1

    def total_range(self, sex: str | None = None) -> tuple[int, int]:
        """The range of the total over the items that apply to a client of this ``sex``
        assigned at birth: PHQ-15 is 0-28 for a man, whose item 4 does not apply."""
        return items_range(it for it in self.scored_items if it.applies(sex) is not False)

    @property
    def alert_bands(self) -> tuple[str, ...]:
        """Labels of the bands that raise a clinician alert (e.g. PHQ-9 'severe')."""
        return tuple(b.label for b in self.bands if b.alert)
