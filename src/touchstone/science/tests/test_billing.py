"""The CMS 8-minute rule, against the table in the Medicare Claims Processing Manual
(Pub. 100-04, chapter 5, section 20.2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from touchstone.science.billing import cms_timed_units, line_fee, units_per_day

# (first minute, last minute, units): CMS Pub. 100-04 ch. 5 §20.2 table.
CMS_TABLE = [
    (0, 7, 0),
    (8, 22, 1),
    (23, 37, 2),
    (38, 52, 3),
    (53, 67, 4),
    (68, 82, 5),
    (83, 97, 6),
    (98, 112, 7),
    (113, 127, 8),
]


@pytest.mark.parametrize(("low", "high", "units"), CMS_TABLE)
def test_it_counts_units_as_the_cms_table(low: int, high: int, units: int):
    assert [cms_timed_units(m) for m in range(low, high + 1)] == [units] * (high - low + 1)


def test_it_counts_the_usual_session_lengths():
    assert (cms_timed_units(30), cms_timed_units(60), cms_timed_units(90)) == (2, 4, 6)


def test_it_refuses_negative_minutes():
    with pytest.raises(ValueError, match="negative"):
        cms_timed_units(-1)


def test_it_sums_the_minutes_of_one_day_before_counting():
    units = units_per_day([("mon", 10), ("mon", 10), ("tue", 7)])
    assert units == {"mon": 1, "tue": 0}


def test_it_prices_a_line_to_the_cent():
    assert line_fee(4, Decimal("27.50")) == Decimal("110.00")
