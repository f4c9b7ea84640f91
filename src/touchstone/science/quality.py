"""Payer-grade depression quality measures: HEDIS DMS-E, HEDIS DRR-E and CMS159.

Pure computation on plain records (no Django): :func:`compute_measures` takes one
:class:`ClientRecord` per client (birth date, ICD-10-CM diagnoses with the date each is known
from, days of encounters with a depression diagnosis, PHQ-9 totals by day) and a measurement
period, and returns a :class:`MeasureResult` per measure: for each rate its initial
population, exclusions (by reason), denominator and numerator as sets of client ids, and per
client the index event and the follow-up score that decided it, so that a page can show who
is in each group and why. docs/quality-measures.md explains every rule and its source.

Specifications implemented
--------------------------

* **DMS-E**, *Utilization of the PHQ-9 to Monitor Depression Symptoms for Adolescents and
  Adults*, NCQA HEDIS, ECDS reporting (measure adapted from MN Community Measurement, NQF
  0712; description on ncqa.org "HEDIS Depression Measures for Electronic Clinical Data"):
  clients 12 and older with major depression or dysthymia and an encounter in an
  assessment period, with a PHQ-9 total score in the record in the same period. Three
  4-month assessment periods (Jan 1-Apr 30, May 1-Aug 31, Sep 1-Dec 31 of a calendar
  measurement year) and their total.
* **DRR-E**, *Depression Remission or Response for Adolescents and Adults*, NCQA HEDIS
  ECDS (numerator wording as published in health-plan HEDIS MY 2023 guidance, e.g. Horizon
  BCBSNJ "HEDIS MY 2023 provider tips: DRR-E"): clients 12 and older with a depression
  diagnosis and an elevated PHQ-9 (> 9) in the intake period; numerators in the follow-up
  period 4-8 months after the index episode start date (IESD): a PHQ-9 (follow-up), the
  most recent PHQ-9 < 5 (remission), the most recent PHQ-9 at least 50 % below the IESD
  score (response).
* **CMS159v12**, *Depression Remission at Twelve Months* (eCQI Resource Center, 2024
  performance period; MN Community Measurement, CBE 0710e, MIPS 370): clients 12 and older
  with major depression or dysthymia and a PHQ-9 > 9 in the denominator identification
  period (14 to 2 months before the measurement period) assessed on the day of, or up to
  7 days before, an encounter with that diagnosis; numerator: the most recent PHQ-9 within
  12 months +/- 60 days of the index event is < 5. Strata 12-17 and 18+ at the index.

NCQA's HEDIS Volume 2 text and the VSAC value sets are licensed documents not available to
this project: the ICD-10-CM code sets below are Touchstone's mapping of the value-set
*names*, and the measurement-year details that come from memory are marked ``UNVERIFIED``
here and in the docs. Exclusions that need data Touchstone does not hold (death, hospice,
long-term-care or nursing-home residence, enrolment) are listed in ``not_applied`` of every
result, never silently skipped.

All windows are computed from the period's start, so a calendar year gives exactly the
published dates; any other 12-month period shifts them with it. Months are calendar months
(:func:`add_months`, the day clipped to the month's end, as ``dateutil.relativedelta``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from touchstone.science.outcomes import wilson_interval

# --- ICD-10-CM code sets (Touchstone's mapping of the value-set names; UNVERIFIED vs VSAC) ---

#: "Major Depression" (including remission) and "Dysthymia": F32.0-F32.5, F32.9, F33.0-F33.3,
#: F33.40-F33.42, F33.9 and F34.1. Not counted: F32.A "Depression, unspecified", F32.8x
#: (other depressive episodes, PMDD), F33.8, F53.0 (postpartum depression).
DEPRESSION_CODES = frozenset(
    {"F32.0", "F32.1", "F32.2", "F32.3", "F32.4", "F32.5", "F32.9", "F33.0", "F33.1", "F33.2",
     "F33.3", "F33.40", "F33.41", "F33.42", "F33.9", "F34.1"}
)  # fmt: skip
#: Exclusion diagnoses by reason: ICD-10-CM code prefixes.
EXCLUSION_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "bipolar disorder": ("F30", "F31"),
    "personality disorder (emotionally labile)": ("F60.3",),
    "schizophrenia or psychotic disorder": ("F20", "F21", "F22", "F23", "F24", "F25", "F28",
                                            "F29", "F53.1"),
    "pervasive developmental disorder": ("F84",),
    "palliative care": ("Z51.5",),
}  # fmt: skip
#: Which exclusion diagnoses each measure applies (CMS159 adds palliative care; the HEDIS
#: measures' hospice/palliative exclusion is a service, not a diagnosis, so it is not
#: applied there).
DIAGNOSIS_EXCLUSIONS: Mapping[str, tuple[str, ...]] = {
    "DMS-E": ("bipolar disorder", "personality disorder (emotionally labile)",
              "schizophrenia or psychotic disorder", "pervasive developmental disorder"),
    "DRR-E": ("bipolar disorder", "personality disorder (emotionally labile)",
              "schizophrenia or psychotic disorder", "pervasive developmental disorder"),
    "CMS159": ("bipolar disorder", "personality disorder (emotionally labile)",
               "schizophrenia or psychotic disorder", "pervasive developmental disorder",
               "palliative care"),
}  # fmt: skip
#: Exclusions of the specifications that need data Touchstone does not hold.
_DEATH = "death (no date of death is recorded)"
_HOSPICE = "hospice care (no hospice services are recorded)"
_HEDIS_NOT_APPLIED = (
    _DEATH,
    _HOSPICE,
    "palliative care services (only a Z51.5 diagnosis would show them)",
    "continuous enrolment (no health-plan enrolment)",
)
NOT_APPLIED: Mapping[str, tuple[str, ...]] = {
    "DMS-E": _HEDIS_NOT_APPLIED,
    "DRR-E": _HEDIS_NOT_APPLIED,
    "CMS159": (_DEATH, _HOSPICE, "permanent nursing-home residence (not recorded)"),
}

#: PHQ-9 thresholds shared by the three specifications.
ELEVATED_ABOVE = 9  # "PHQ-9 total score > 9" (i.e. >= 10)
REMISSION_BELOW = 5  # "PHQ-9 < 5"
RESPONSE_FRACTION = 0.5  # "at least 50 percent lower than the index score"
MIN_AGE = 12

# Windows (calendar months / days), each relative to the measurement period's start or the index.
DMS_PERIOD_MONTHS = 4
DRR_INTAKE_START_MONTHS = -8  # May 1 of the year before (UNVERIFIED: from memory of MY 2023-25)
DRR_INTAKE_MONTHS = 12  # ... to April 30 of the measurement year
DRR_FOLLOW_UP_MONTHS = (4, 8)  # IESD + 4 months ... IESD + 8 months, both days included
CMS159_DIP_MONTHS = (-14, -2)  # denominator identification period: [start - 14 mo, start - 2 mo)
CMS159_ENCOUNTER_LAG_DAYS = 7  # PHQ-9 on the encounter's day or up to 7 days before it
CMS159_TARGET_MONTHS = 12
CMS159_GRACE_DAYS = 60

MEASURES: Mapping[str, dict[str, str]] = {
    "DMS-E": {
        "title": "Utilization of the PHQ-9 to Monitor Depression Symptoms (HEDIS DMS-E)",
        "steward": "NCQA",
        "source": "NCQA HEDIS MY 2025, ECDS measure DMS-E (adapted from MNCM, NQF 0712)",
        "scoring": "proportion",
        "improvement": "increase",
    },
    "DRR-E": {
        "title": "Depression Remission or Response for Adolescents and Adults (HEDIS DRR-E)",
        "steward": "NCQA",
        "source": "NCQA HEDIS MY 2025, ECDS measure DRR-E",
        "scoring": "proportion",
        "improvement": "increase",
    },
    "CMS159": {
        "title": "Depression Remission at Twelve Months (CMS159v12)",
        "steward": "MN Community Measurement",
        "source": "eCQI Resource Center, CMS159v12 (2024 performance period), CBE 0710e",
        "scoring": "proportion",
        "improvement": "increase",
    },
}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, the day clipped to the month's last day
    (Aug 31 + 6 months = Feb 28/29), as ``day + dateutil.relativedelta(months=months)``."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    return day.replace(year=year, month=month0 + 1, day=min(day.day, last))


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- input -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Diagnosis:
    """An ICD-10-CM code and the day from which the client's record holds it."""

    code: str
    known_from: dt.date


@dataclass(frozen=True)
class ClientRecord:
    """What the measures read about one client.

    ``depression_encounters``: days of completed encounters (visits) in an episode of care
    that carries a major-depression or dysthymia diagnosis. ``depression_spans``: the
    (start, end) days of those episodes (end ``None`` while open). ``phq9``: (day, total)
    of every completed, computable PHQ-9.
    """

    client_id: int
    birth_date: dt.date | None
    diagnoses: tuple[Diagnosis, ...] = ()
    depression_encounters: tuple[dt.date, ...] = ()
    depression_spans: tuple[tuple[dt.date, dt.date | None], ...] = ()
    phq9: tuple[tuple[dt.date, int], ...] = ()

    def excluded_by(
        self,
        reasons: Iterable[str],
        through: dt.date,
        since: Mapping[str, dt.date] | None = None,
    ) -> tuple[str, ...]:
        """The exclusion reasons among ``reasons`` the record holds by ``through`` (and, for
        a reason named in ``since``, from that day on only)."""
        found = []
        for reason in reasons:
            prefixes = EXCLUSION_PREFIXES[reason]
            first = (since or {}).get(reason, dt.date.min)
            if any(
                first <= d.known_from <= through and d.code.startswith(prefixes)
                for d in self.diagnoses
            ):
                found.append(reason)
        return tuple(found)

    def scores_between(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, int]]:
        """PHQ-9 totals from ``first`` to ``last`` (both included), oldest first."""
        return sorted((d, s) for d, s in self.phq9 if first <= d <= last)


# --- output ------------------------------------------------------------------------------


#: A member of a population: a client id, or (client id, assessment period) for DMS-E's
#: total, which counts client-periods.
Member = int | tuple[int, int]


@dataclass(frozen=True)
class Rate:
    """One rate of a measure: its populations as sets of members, and the proportion."""

    key: str
    title: str
    initial_population: frozenset[Member]
    exclusions: Mapping[str, frozenset[Member]]
    numerator: frozenset[Member]

    @property
    def excluded(self) -> frozenset[Member]:
        out: set[Member] = set()
        for ids in self.exclusions.values():
            out |= ids
        return frozenset(out)

    @property
    def denominator(self) -> frozenset[Member]:
        return self.initial_population - self.excluded

    @property
    def rate(self) -> float | None:
        d = len(self.denominator)
        return len(self.numerator) / d if d else None

    @property
    def ci(self) -> tuple[float | None, float | None]:
        """Wilson 95 % interval of the rate (``science.outcomes.wilson_interval``)."""
        d = len(self.denominator)
        if not d:
            return None, None
        low, high = wilson_interval(len(self.numerator), d)
        return float(low), float(high)

    def counts(self) -> dict[str, Any]:
        low, high = self.ci
        return {
            "rate_key": self.key,
            "rate_title": self.title,
            "initial_population": len(self.initial_population),
            "excluded": len(self.excluded),
            "denominator": len(self.denominator),
            "numerator": len(self.numerator),
            "rate": self.rate,
            "ci_low": low,
            "ci_high": high,
        }


@dataclass(frozen=True)
class ClientDetail:
    """Why one client is where they are in a measure (shown on the "how it was computed"
    page): the index event, the score that decided the numerator, the exclusion reasons."""

    client_id: int
    age: int | None = None
    index_date: dt.date | None = None
    index_score: int | None = None
    follow_up_date: dt.date | None = None
    follow_up_score: int | None = None
    window: tuple[dt.date, dt.date] | None = None
    exclusions: tuple[str, ...] = ()
    stratum: str = ""


@dataclass(frozen=True)
class MeasureResult:
    """One measure over one measurement period."""

    measure_id: str
    title: str
    source: str
    period_start: dt.date
    period_end: dt.date
    rates: tuple[Rate, ...]
    details: Mapping[str, Mapping[int, ClientDetail]] = field(default_factory=dict)
    not_applied: tuple[str, ...] = ()
    windows: tuple[tuple[str, dt.date, dt.date], ...] = ()

    def rate(self, key: str) -> Rate:
        for r in self.rates:
            if r.key == key:
                return r
        raise KeyError(key)


# --- the measures --------------------------------------------------------------------------


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValueError("The end of the measurement period cannot be before its start.")


def _age(record: ClientRecord, day: dt.date) -> int | None:
    return None if record.birth_date is None else age_on(record.birth_date, day)


def dms_e(records: Sequence[ClientRecord], start: dt.date, end: dt.date) -> MeasureResult:
    """HEDIS DMS-E: PHQ-9 utilisation in each 4-month assessment period and in total.

    Per assessment period: initial population = clients 12 or older at the period's start
    with an encounter with a depression diagnosis in the period; exclusions = an exclusion
    diagnosis known by the period's end; numerator = a PHQ-9 total score in the period. The
    total rate counts client-periods (the sum of the periods' denominators and numerators):
    its members are ``(client id, period number)`` pairs.
    """
    _check_period(start, end)
    reasons = DIAGNOSIS_EXCLUSIONS["DMS-E"]
    periods: list[tuple[int, dt.date, dt.date]] = []
    first = start
    number = 1
    while first <= end:
        last = min(add_months(first, DMS_PERIOD_MONTHS) - dt.timedelta(days=1), end)
        periods.append((number, first, last))
        first, number = last + dt.timedelta(days=1), number + 1
    rates: list[Rate] = []
    details: dict[str, dict[int, ClientDetail]] = {}
    total_ip: set[Member] = set()
    total_ex: dict[str, set[Member]] = {r: set() for r in reasons}
    total_num: set[Member] = set()
    for number, first, last in periods:
        key = f"period-{number}"
        ip: set[int] = set()
        excluded: dict[str, set[int]] = {r: set() for r in reasons}
        numerator: set[int] = set()
        mine: dict[int, ClientDetail] = {}
        for rec in records:
            age = _age(rec, first)
            if age is None or age < MIN_AGE:
                continue
            if not any(first <= day <= last for day in rec.depression_encounters):
                continue
            ip.add(rec.client_id)
            why = rec.excluded_by(reasons, last)
            for reason in why:
                excluded[reason].add(rec.client_id)
            scores = rec.scores_between(first, last)
            if scores and not why:
                numerator.add(rec.client_id)
            mine[rec.client_id] = ClientDetail(
                rec.client_id,
                age=age,
                follow_up_date=scores[-1][0] if scores else None,
                follow_up_score=scores[-1][1] if scores else None,
                window=(first, last),
                exclusions=why,
            )
        title = f"Assessment period {number} ({first.isoformat()} to {last.isoformat()})"
        rates.append(Rate(key, title, frozenset(ip), _freeze(excluded), frozenset(numerator)))
        details[key] = mine
        total_ip |= {(c, number) for c in ip}
        for reason in reasons:
            total_ex[reason] |= {(c, number) for c in excluded[reason]}
        total_num |= {(c, number) for c in numerator}
    rates.append(
        Rate("total", "Total (client-periods)", frozenset(total_ip), _freeze(total_ex),
             frozenset(total_num))
    )  # fmt: skip
    return MeasureResult(
        "DMS-E",
        MEASURES["DMS-E"]["title"],
        MEASURES["DMS-E"]["source"],
        start,
        end,
        tuple(rates),
        details,
        NOT_APPLIED["DMS-E"],
        tuple((f"assessment period {n}", a, b) for n, a, b in periods),
    )


def _freeze(groups: Mapping[str, AbstractSet[Member]]) -> dict[str, frozenset[Member]]:
    return {reason: frozenset(ids) for reason, ids in groups.items()}


def _in_span(day: dt.date, spans: Iterable[tuple[dt.date, dt.date | None]]) -> bool:
    return any(a <= day and (b is None or day <= b) for a, b in spans)


def drr_e(records: Sequence[ClientRecord], start: dt.date, end: dt.date) -> MeasureResult:
    """HEDIS DRR-E: follow-up PHQ-9, remission and response 4-8 months after the IESD.

    IESD = the earliest day in the intake period (8 months before the period's start to 4
    months after it, i.e. May 1 to April 30 for a calendar year) with a PHQ-9 > 9 while an
    episode with a depression diagnosis is open. Initial population: clients with an IESD
    who are 12 or older on it. Exclusions: an exclusion diagnosis known by the period's end.
    Follow-up period: IESD + 4 months to IESD + 8 months (both included), cut at the
    period's end. Numerators over the most recent PHQ-9 in it: any (follow-up), < 5
    (remission), <= 50 % of the IESD score (response).
    """
    _check_period(start, end)
    reasons = DIAGNOSIS_EXCLUSIONS["DRR-E"]
    intake_first = add_months(start, DRR_INTAKE_START_MONTHS)
    intake_last = add_months(intake_first, DRR_INTAKE_MONTHS) - dt.timedelta(days=1)
    ip: set[Member] = set()
    excluded: dict[str, set[Member]] = {r: set() for r in reasons}
    follow_up: set[Member] = set()
    remission: set[Member] = set()
    response: set[Member] = set()
    details: dict[int, ClientDetail] = {}
    for rec in records:
        index = next(
            (
                (day, score)
                for day, score in rec.scores_between(intake_first, intake_last)
                if score > ELEVATED_ABOVE and _in_span(day, rec.depression_spans)
            ),
            None,
        )
        if index is None:
            continue
        iesd, index_score = index
        age = _age(rec, iesd)
        if age is None or age < MIN_AGE:
            continue
        ip.add(rec.client_id)
        why = rec.excluded_by(reasons, end)
        for reason in why:
            excluded[reason].add(rec.client_id)
        first = add_months(iesd, DRR_FOLLOW_UP_MONTHS[0])
        last = min(add_months(iesd, DRR_FOLLOW_UP_MONTHS[1]), end)
        scores = rec.scores_between(first, last)
        latest = scores[-1] if scores else None
        if latest is not None and not why:
            follow_up.add(rec.client_id)
            if latest[1] < REMISSION_BELOW:
                remission.add(rec.client_id)
            if latest[1] <= RESPONSE_FRACTION * index_score:
                response.add(rec.client_id)
        details[rec.client_id] = ClientDetail(
            rec.client_id,
            age=age,
            index_date=iesd,
            index_score=index_score,
            follow_up_date=latest[0] if latest else None,
            follow_up_score=latest[1] if latest else None,
            window=(first, last),
            exclusions=why,
        )
    frozen_ip, frozen_ex = frozenset(ip), _freeze(excluded)
    rates = (
        Rate("follow-up", "Follow-up PHQ-9 within 4-8 months", frozen_ip, frozen_ex,
             frozenset(follow_up)),
        Rate("remission", "Remission (most recent PHQ-9 < 5)", frozen_ip, frozen_ex,
             frozenset(remission)),
        Rate("response", "Response (most recent PHQ-9 at least 50 % lower)", frozen_ip,
             frozen_ex, frozenset(response)),
    )  # fmt: skip
    return MeasureResult(
        "DRR-E",
        MEASURES["DRR-E"]["title"],
        MEASURES["DRR-E"]["source"],
        start,
        end,
        rates,
        {r.key: details for r in rates},
        NOT_APPLIED["DRR-E"],
        (("intake period", intake_first, intake_last),),
    )


def cms159(records: Sequence[ClientRecord], start: dt.date, end: dt.date) -> MeasureResult:
    """CMS159v12: remission (PHQ-9 < 5) at 12 months +/- 60 days after the index event.

    Denominator identification period (DIP): 14 months to 2 months before the period's
    start (Nov 1 two years before to Oct 31 of the year before, for a calendar year). Index
    event: the first PHQ-9 > 9 in the DIP taken on the day of, or up to 7 days before, an
    encounter with a depression diagnosis; its day is the index date. Initial population:
    clients with an index event, 12 or older on it (strata 12-17 and 18+). Exclusions: an
    exclusion diagnosis known by the end of the measure assessment period (index + 14
    months); palliative care (Z51.5) only when known from the DIP's start on. Numerator:
    the most recent PHQ-9 from index + 12 months - 60 days to index + 12 months + 60 days
    is < 5.
    """
    _check_period(start, end)
    reasons = DIAGNOSIS_EXCLUSIONS["CMS159"]
    dip_first = add_months(start, CMS159_DIP_MONTHS[0])
    dip_last = add_months(start, CMS159_DIP_MONTHS[1]) - dt.timedelta(days=1)
    lag = dt.timedelta(days=CMS159_ENCOUNTER_LAG_DAYS)
    grace = dt.timedelta(days=CMS159_GRACE_DAYS)
    strata: dict[str, set[Member]] = {"all": set(), "12-17": set(), "18+": set()}
    excluded: dict[str, set[Member]] = {r: set() for r in reasons}
    numerator: set[Member] = set()
    details: dict[int, ClientDetail] = {}
    for rec in records:
        index = next(
            (
                (day, score)
                for day, score in rec.scores_between(dip_first, dip_last)
                if score > ELEVATED_ABOVE
                and any(day <= e <= day + lag for e in rec.depression_encounters)
            ),
            None,
        )
        if index is None:
            continue
        day, score = index
        age = _age(rec, day)
        if age is None or age < MIN_AGE:
            continue
        stratum = "12-17" if age < 18 else "18+"
        strata["all"].add(rec.client_id)
        strata[stratum].add(rec.client_id)
        target = add_months(day, CMS159_TARGET_MONTHS)
        first, last = target - grace, min(target + grace, end)
        why = rec.excluded_by(
            reasons, add_months(day, CMS159_TARGET_MONTHS + 2), since={"palliative care": dip_first}
        )
        for reason in why:
            excluded[reason].add(rec.client_id)
        scores = rec.scores_between(first, last)
        latest = scores[-1] if scores else None
        if latest is not None and latest[1] < REMISSION_BELOW and not why:
            numerator.add(rec.client_id)
        details[rec.client_id] = ClientDetail(
            rec.client_id,
            age=age,
            index_date=day,
            index_score=score,
            follow_up_date=latest[0] if latest else None,
            follow_up_score=latest[1] if latest else None,
            window=(first, last),
            exclusions=why,
            stratum=stratum,
        )
    rates = []
    for key, title in (("all", "All ages (12+)"), ("12-17", "Ages 12-17"), ("18+", "Ages 18+")):
        ids = strata[key]
        rates.append(
            Rate(
                key,
                title,
                frozenset(ids),
                {r: frozenset(excluded[r] & ids) for r in reasons},
                frozenset(numerator & ids),
            )
        )
    return MeasureResult(
        "CMS159",
        MEASURES["CMS159"]["title"],
        MEASURES["CMS159"]["source"],
        start,
        end,
        tuple(rates),
        {r.key: details for r in rates},
        NOT_APPLIED["CMS159"],
        (("denominator identification period", dip_first, dip_last),),
    )


def compute_measures(
    records: Sequence[ClientRecord], start: dt.date, end: dt.date
) -> tuple[MeasureResult, ...]:
    """DMS-E, DRR-E and CMS159 over the measurement period ``start``..``end``."""
    return dms_e(records, start, end), drr_e(records, start, end), cms159(records, start, end)


def earliest_day_needed(start: dt.date) -> dt.date:
    """The first day any measure looks at for a period starting ``start`` (CMS159's
    denominator identification period), so a caller can bound its queries."""
    return min(add_months(start, CMS159_DIP_MONTHS[0]), add_months(start, DRR_INTAKE_START_MONTHS))
