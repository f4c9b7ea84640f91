"""Sliding-scale fee rules (science.fees) against the shipped HHS guideline table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from touchstone.science.fees import (
    FeeError,
    Tier,
    check_tiers,
    choose_tier,
    guidelines,
    percent_of_guideline,
    tier_fee,
)

D = Decimal


def test_it_reads_the_2026_contiguous_guideline_with_its_source():
    # 2026 HHS poverty guidelines, 48 contiguous states and DC: $15,960 for one person, $33,000
    # for four, $5,680 for each additional person (91 FR 1797, FR Doc. 2026-00755).
    g = guidelines().guideline("contiguous")
    assert (g.year, g.for_household(1), g.for_household(4)) == (2026, D(15960), D(33000))
    assert "2026-00755" in g.source


def test_it_prints_the_percent_of_the_guideline_for_a_household():
    g = guidelines().guideline("contiguous")
    # 31000 / 27320 = 1.13469... -> 113.5 %
    assert percent_of_guideline(D(31000), 3, g) == D("113.5")


def test_it_refuses_a_region_it_could_not_verify():
    with pytest.raises(FeeError, match="Alaska"):
        guidelines().guideline("alaska")
    with pytest.raises(FeeError, match="Unknown region"):
        guidelines().guideline("guam")


def test_it_refuses_an_empty_household_and_negative_income():
    g = guidelines().guideline("contiguous")
    with pytest.raises(FeeError):
        g.for_household(0)
    with pytest.raises(FeeError):
        percent_of_guideline(D(-1), 2, g)


def test_it_chooses_the_tier_by_its_upper_bound_inclusive():
    tiers = guidelines().default_tiers
    assert choose_tier(D(100), tiers).fee_percent == 0
    assert choose_tier(D("100.1"), tiers).fee_percent == 33
    assert choose_tier(D(900), tiers).fee_percent == 100


def test_it_refuses_tiers_that_leave_incomes_out():
    with pytest.raises(FeeError, match="no upper bound"):
        check_tiers([Tier("A", D(100), D(0))])
    with pytest.raises(FeeError, match="increase"):
        check_tiers([Tier("A", D(200), D(0)), Tier("B", D(100), D(50)), Tier("C", None, D(100))])


def test_it_rounds_a_tier_fee_half_up_to_the_cent():
    assert tier_fee(D("95.00"), D(33)) == D("31.35")
    assert tier_fee(D("0.05"), D(50)) == D("0.03")
