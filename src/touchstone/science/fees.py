"""Sliding-scale fees: a household's income as a percent of the HHS poverty guideline, the
fee tier it falls in, and the fee that tier charges.

The guideline figures are data (``science/data/hhs_poverty_guidelines.json``, with their year
and source), never constants in this module: the HHS poverty guideline for a household of
``n`` persons is the figure for one person plus ``n - 1`` times the figure for each additional
person (HHS, "Annual Update of the HHS Poverty Guidelines", Federal Register, each January;
https://aspe.hhs.gov/poverty). A clinic's tiers say, by upper bound in percent of the
guideline, what percent of the full fee a client pays (the sliding fee discount programs of
community health centres work this way).

Money is ``Decimal`` throughout and rounded to the cent half-up, never float.

Examples
--------
>>> g = Guideline("contiguous", "48 states", 2026, Decimal("15960"), Decimal("5680"), "FR")
>>> g.for_household(3)
Decimal('27320')
>>> percent_of_guideline(Decimal("31000"), 3, g)
Decimal('113.5')
>>> tiers = [Tier("A", Decimal("100"), Decimal("0")), Tier("B", Decimal("200"), Decimal("50")),
...          Tier("Full", None, Decimal("100"))]
>>> choose_tier(Decimal("113.5"), tiers).name
'B'
>>> tier_fee(Decimal("95.00"), Decimal("33"))
Decimal('31.35')
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path

GUIDELINES_FILE = Path(__file__).resolve().parent / "data" / "hhs_poverty_guidelines.json"
CENT = Decimal("0.01")
#: Households larger than this are refused as a typing error, not a household.
MAX_HOUSEHOLD = 30


class FeeError(ValueError):
    """Input the fee rules cannot place (unknown region, household of 0, negative income)."""


@dataclass(frozen=True)
class Guideline:
    region: str
    label: str
    year: int
    first_person: Decimal
    each_additional_person: Decimal
    source: str

    def for_household(self, size: int) -> Decimal:
        """The guideline for a household of ``size`` persons."""
        if not 1 <= size <= MAX_HOUSEHOLD:
            raise FeeError(f"A household has 1 to {MAX_HOUSEHOLD} persons, not {size}.")
        return self.first_person + self.each_additional_person * (size - 1)


@dataclass(frozen=True)
class Tier:
    """A sliding-scale tier: households up to ``up_to_percent`` of the guideline (``None``: no
    upper bound) pay ``fee_percent`` of the full fee."""

    name: str
    up_to_percent: Decimal | None
    fee_percent: Decimal


@dataclass(frozen=True)
class GuidelineTable:
    regions: dict[str, Guideline]
    unverified: dict[str, str]
    default_tiers: tuple[Tier, ...]

    def guideline(self, region: str) -> Guideline:
        if region in self.regions:
            return self.regions[region]
        if region in self.unverified:
            raise FeeError(self.unverified[region])
        known = ", ".join(sorted(self.regions))
        raise FeeError(f"Unknown region {region!r}; the guideline table has: {known}.")


def _decimal(value: object, what: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise FeeError(f"{what} is not a number: {value!r}") from None


def load_guidelines(path: Path = GUIDELINES_FILE) -> GuidelineTable:
    """Read the guideline table (and the default tiers a new clinic starts from)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    regions = {
        key: Guideline(
            region=key,
            label=entry["label"],
            year=int(entry["year"]),
            first_person=_decimal(entry["first_person"], "first_person"),
            each_additional_person=_decimal(entry["each_additional_person"], "additional"),
            source=entry["source"],
        )
        for key, entry in data["regions"].items()
    }
    tiers = tuple(
        Tier(
            t["name"],
            None if t["up_to_percent"] is None else _decimal(t["up_to_percent"], "up_to_percent"),
            _decimal(t["fee_percent"], "fee_percent"),
        )
        for t in data["default_tiers"]
    )
    check_tiers(tiers)
    return GuidelineTable(regions, dict(data.get("unverified_regions", {})), tiers)


@cache
def guidelines() -> GuidelineTable:
    """The shipped table, read once."""
    return load_guidelines()


def percent_of_guideline(income: Decimal, household: int, guideline: Guideline) -> Decimal:
    """Annual household income as a percent of the guideline, to one decimal (half-up)."""
    if income < 0:
        raise FeeError("Income cannot be negative.")
    line = guideline.for_household(household)
    return (income * 100 / line).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Tiers must cover every income: increasing bounds, exactly one without a bound (last),
    fee percents between 0 and 100."""
    if not tiers:
        raise FeeError("Define at least one tier.")
    bounds = [t.up_to_percent for t in tiers]
    if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        raise FeeError("Exactly one tier, the highest, has no upper bound.")
    finite = [b for b in bounds if b is not None]
    if finite != sorted(finite) or len(set(finite)) != len(finite):
        raise FeeError("Tier bounds must increase.")
    for tier in tiers:
        if not Decimal(0) <= tier.fee_percent <= Decimal(100):
            raise FeeError(f"Tier {tier.name}: the fee is 0 to 100 percent of the full fee.")


def choose_tier(percent: Decimal, tiers: Sequence[Tier]) -> Tier:
    """The first tier (by bound) whose upper bound is at or above ``percent``."""
    ordered = sorted(tiers, key=lambda t: (t.up_to_percent is None, t.up_to_percent or 0))
    for tier in ordered:
        if tier.up_to_percent is None or percent <= tier.up_to_percent:
            return tier
    raise FeeError("No tier has room for this income: the highest tier needs no bound.")


def tier_fee(full_fee: Decimal, fee_percent: Decimal) -> Decimal:
    """``fee_percent`` of ``full_fee``, to the cent (half-up)."""
    return (full_fee * fee_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
