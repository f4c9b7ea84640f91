"""Score one response, exactly as the instrument's definition says.

The rules, in the order they are applied (sources are in each definition file):

1. Answers are matched to items by linkId, item code (LOINC) or 1-based position, or given
   as a sequence in item order (scored items first, then optional unscored ones).
2. An answer is a response value (an answer option's ``ordinalValue``), an answer code
   (``"LA6570-1"``), or ``None``/``"-"`` for missing. Anything else is an
   :class:`AnswerError`: a bad answer is never turned into a zero.
3. Reverse-scored items score ``min + max - value``.
4. Risk items are checked on their own answer, whatever the total and whether or not the
   total is computable; a missing risk item is reported in ``risk_unknown``, never imputed.
5. The total is computable only if no more scored items are missing than the missing-item
   rule allows; a total that cannot be computed is ``None`` with a ``reason``, never 0.
   Where the rule prorates, the total is ``round_half_up(sum * n_items / n_answered)``.
6. An item asked of one sex only (PHQ-15 item 4, menstrual problems: women) is left out of
   the total of a client of the other sex assigned at birth, and an answer to it is refused;
   when the sex is not recorded it counts only if answered (``sex=``, [CAM-PHQ15]). The
   result's ``not_applicable`` and ``total_max`` say which items the total is over.

Examples
--------
>>> from touchstone.science.instruments import load_instrument, score
>>> r = score(load_instrument("phq9"), [2, 2, 2, 2, 1, 1, 2, 0, 0])
>>> (r.total, r.severity, r.risk_flags)
(12, 'moderate', ())
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from touchstone.science.instruments.model import SEXES, Instrument, Item, items_range

#: What counts as "no answer" in text input (the command line uses ``-``).
MISSING_TOKENS = frozenset({"-", ""})

Answer = int | float | str | None
Answers = Mapping[str | int, Answer] | Sequence[Answer]


class AnswerError(ValueError):
    """An answer is invalid: unknown item, wrong count, or a value not on the item's scale."""


@dataclass(frozen=True)
class ScoreResult:
    """The score of one response. ``to_dict()`` gives a JSON-serialisable dictionary.

    Attributes
    ----------
    total : int or None
        ``None`` whenever the total is not computable (never 0 in its place).
    severity, severity_index : str, int or None
        The band label and its 0-based index (``None`` if not computable or no bands).
    alert : bool
        The band is an alert-raising ("severe") band.
    risk_flags : tuple of str
        linkIds of risk items answered at or above their threshold.
    risk_unknown : tuple of str
        linkIds of risk items left unanswered (risk cannot be ruled out).
    item_scores : mapping
        Scored items' contributions (after reversal), ``None`` if missing.
    answers : mapping
        Every item's response value as given, ``None`` if missing.
    """

    instrument: str
    total: int | None
    severity: str | None
    severity_index: int | None
    alert: bool
    computable: bool
    reason: str | None
    risk_flags: tuple[str, ...]
    risk_unknown: tuple[str, ...]
    subscales: Mapping[str, int | None] = field(default_factory=dict)
    transforms: Mapping[str, float | None] = field(default_factory=dict)
    cutoffs: Mapping[str, bool | None] = field(default_factory=dict)
    item_scores: Mapping[str, int | None] = field(default_factory=dict)
    answers: Mapping[str, int | None] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    prorated: bool = False
    #: Scored items left out of the total because they do not apply to the client's sex.
    not_applicable: tuple[str, ...] = ()
    #: The range of the total over the items it counts (PHQ-15: 0-28 without item 4).
    total_min: int | None = None
    total_max: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable dictionary (lists, not tuples)."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "severity": self.severity,
            "severity_index": self.severity_index,
            "alert": self.alert,
            "computable": self.computable,
            "reason": self.reason,
            "risk_flags": list(self.risk_flags),
            "risk_unknown": list(self.risk_unknown),
            "subscales": dict(self.subscales),
            "transforms": dict(self.transforms),
            "cutoffs": dict(self.cutoffs),
            "item_scores": dict(self.item_scores),
            "answers": dict(self.answers),
            "missing": list(self.missing),
            "prorated": self.prorated,
            "not_applicable": list(self.not_applicable),
            "total_range": [self.total_min, self.total_max],
        }


def round_half_up_ratio(numerator: int, denominator: int) -> int:
    """``floor(numerator / denominator + 1/2)`` in exact integer arithmetic.

    Used for prorated totals so that the one-at-a-time and batch scorers agree exactly
    (no floating-point ties).
    """
    return (2 * numerator + denominator) // (2 * denominator)


def _item_key_index(instrument: Instrument) -> dict[str, Item]:
    index: dict[str, Item] = {}
    for it in instrument.items:
        for coding in it.codes:
            index.setdefault(coding.code, it)
    for it in instrument.items:
        index[it.link_id] = it
    return index


def parse_answer(item: Item, raw: Answer) -> int | None:
    """The response value of one answer, ``None`` if missing.

    Raises
    ------
    AnswerError
        If ``raw`` is neither missing, an answer code, nor a value on the item's scale.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise AnswerError(f"{item.link_id}: {raw!r} is not an answer")
    if isinstance(raw, str):
        text = raw.strip()
        if text in MISSING_TOKENS:
            return None
        for opt in item.options:
            if opt.code == text:
                return opt.value
        try:
            value = int(text)
        except ValueError:
            raise AnswerError(f"{item.link_id}: {raw!r} is not an answer code or value") from None
    elif isinstance(raw, float):
        if math.isnan(raw):
            return None
        if not raw.is_integer():
            raise AnswerError(f"{item.link_id}: {raw!r} is not a whole number")
        value = int(raw)
    elif isinstance(raw, int):
        value = raw
    else:
        raise AnswerError(f"{item.link_id}: {raw!r} is not an answer")
    allowed = (
        {o.value for o in item.options}
        if item.options
        else set(range(item.min_value, item.max_value + 1))
    )
    if value not in allowed:
        raise AnswerError(
            f"{item.link_id}: {value} is out of range {item.min_value}-{item.max_value}"
        )
    return value


def normalise_answers(instrument: Instrument, answers: Answers) -> dict[str, int | None]:
    """Map answers (by linkId, item code, position, or in order) to response values.

    Returns
    -------
    dict
        Every answerable item's linkId, in item order, to its value or ``None``.

    Raises
    ------
    AnswerError
        Unknown item, wrong number of answers, duplicate item, or invalid value.
    """
    values: dict[str, int | None] = {it.link_id: None for it in instrument.items}
    n_scored, n_items = len(instrument.scored_items), len(instrument.items)
    if isinstance(answers, Mapping):
        index = _item_key_index(instrument)
        given: set[str] = set()
        for key, raw in answers.items():
            if isinstance(key, int) and not isinstance(key, bool):
                if not 1 <= key <= n_items:
                    raise AnswerError(f"item position {key} is outside 1-{n_items}")
                item = instrument.items[key - 1]
            elif isinstance(key, str) and key in index:
                item = index[key]
            else:
                raise AnswerError(f"{instrument.id} has no item {key!r}")
            if item.link_id in given:
                raise AnswerError(f"item {item.link_id} is answered twice")
            given.add(item.link_id)
            values[item.link_id] = parse_answer(item, raw)
        return values
    if isinstance(answers, str | bytes):
        raise AnswerError("answers must be a sequence or a mapping, not a string")
    seq = list(answers)
    if not n_scored <= len(seq) <= n_items:
        expected = str(n_scored) if n_scored == n_items else f"{n_scored} to {n_items}"
        raise AnswerError(f"{instrument.id} takes {expected} answers, got {len(seq)}")
    for item, raw in zip(instrument.items, seq, strict=False):
        values[item.link_id] = parse_answer(item, raw)
    return values


def check_sex(sex: str | None) -> str | None:
    """``sex`` if it is a FHIR administrative-gender code or ``None``; else ``AnswerError``."""
    if sex is not None and sex not in SEXES:
        raise AnswerError(f"unknown sex {sex!r}; use one of {', '.join(SEXES)}")
    return sex


def score(instrument: Instrument, answers: Answers, *, sex: str | None = None) -> ScoreResult:
    """Score one response.

    Parameters
    ----------
    instrument : Instrument
        From :func:`~touchstone.science.instruments.load_instrument`.
    answers : mapping or sequence
        See the module docstring. Missing answers may be omitted from a mapping.
    sex : {"female", "male", "other", "unknown"}, optional
        The client's sex assigned at birth, for items asked of one sex only (rule 6);
        ``None`` when not recorded.

    Returns
    -------
    ScoreResult

    Raises
    ------
    AnswerError
        If an answer is invalid (an invalid answer is never scored as 0), or answers an
        item that does not apply to ``sex``.

    Examples
    --------
    >>> from touchstone.science.instruments import load_instrument
    >>> r = score(load_instrument("phq9"), {"phq9-9": 1})
    >>> (r.total, r.computable, r.risk_flags)
    (None, False, ('phq9-9',))
    >>> r = score(load_instrument("phq15"), [0, 1, 2, None] + [1] * 11, sex="male")
    >>> (r.total, r.not_applicable, r.total_max)
    (14, ('phq15-4',), 28)
    """
    values = normalise_answers(instrument, answers)
    return score_values(instrument, values, sex=sex)


def score_values(
    instrument: Instrument, values: Mapping[str, int | None], *, sex: str | None = None
) -> ScoreResult:
    """Score already-normalised response values (linkId -> value or ``None``)."""
    check_sex(sex)
    item_scores: dict[str, int | None] = {}
    not_applicable: list[str] = []
    counted: list[Item] = []
    for it in instrument.scored_items:
        v = values.get(it.link_id)
        applies = it.applies(sex)
        if applies is False and v is not None:
            raise AnswerError(
                f"{it.link_id}: not asked of a client whose sex assigned at birth is {sex}; "
                f"leave it unanswered"
            )
        if applies is False or (applies is None and v is None):
            not_applicable.append(it.link_id)
            item_scores[it.link_id] = None
            continue
        counted.append(it)
        item_scores[it.link_id] = None if v is None else it.item_score(v)
    risk_flags: list[str] = []
    risk_unknown: list[str] = []
    for rule in instrument.risk:
        v = values.get(rule.link_id)
        if v is None:
            risk_unknown.append(rule.link_id)
        elif instrument.item(rule.link_id).item_score(v) >= rule.min:
            risk_flags.append(rule.link_id)
    counted_ids = [it.link_id for it in counted]
    missing = tuple(k for k in counted_ids if item_scores[k] is None)
    n = len(counted_ids)
    answered = [s for k in counted_ids if (s := item_scores[k]) is not None]
    missing_rule = instrument.missing
    computable = len(missing) <= missing_rule.max_missing and n > 0
    total: int | None = None
    reason: str | None = None
    prorated = False
    if computable:
        if missing:
            total = round_half_up_ratio(sum(answered) * n, len(answered))
            prorated = True
        else:
            total = sum(answered)
    else:
        allowed = (
            "no item"
            if missing_rule.max_missing == 0
            else f"at most {missing_rule.max_missing} items"
        )
        reason = (
            f"{len(missing)} of {n} scored items missing ({', '.join(missing)}); "
            f"{instrument.id} allows {allowed} missing"
        )
    band = None if total is None else instrument.band_for(total)
    subscales: dict[str, int | None] = {}
    for sub in instrument.subscales:
        parts = [item_scores[x] for x in sub.link_ids]
        subscales[sub.id] = (
            None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
        )
    return ScoreResult(
        instrument=instrument.id,
        total=total,
        severity=None if band is None else band.label,
        severity_index=None if band is None else band.index,
        alert=band is not None and band.alert,
        computable=computable,
        reason=reason,
        risk_flags=tuple(risk_flags),
        risk_unknown=tuple(risk_unknown),
        subscales=subscales,
        transforms={
            t.id: None if total is None else total * t.multiply for t in instrument.transforms
        },
        cutoffs={c.id: None if total is None else c.positive(total) for c in instrument.cutoffs},
        item_scores=item_scores,
        answers=dict(values),
        missing=missing,
        prorated=prorated,
        not_applicable=tuple(not_applicable),
        total_min=items_range(counted)[0],
        total_max=items_range(counted)[1],
    )
