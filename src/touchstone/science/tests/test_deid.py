"""Safe Harbor helpers (45 CFR 164.514(b)(2)) and the HHS 2012 guidance's ZIP list."""

from __future__ import annotations

import datetime as dt

from touchstone.science.deid import (
    RESTRICTED_ZIP3,
    age_category,
    age_years,
    date_offset_days,
    pseudonym,
    shift_date,
    zip3,
)

KEY = b"export key"


def test_it_lists_the_seventeen_restricted_zip3_areas_of_the_hhs_guidance():
    # HHS OCR de-identification guidance (2012): 17 prefixes from the 2000 Census.
    assert len(RESTRICTED_ZIP3) == 17
    assert {"036", "692", "893"} <= RESTRICTED_ZIP3


def test_it_keeps_three_digits_or_zeroes_restricted_areas():
    assert zip3("02139") == "021"
    assert zip3("02139-4307") == "021"
    assert zip3("82301") == "000"
    assert zip3("SW1A 1AA") == ""
    assert zip3(None) == ""


def test_it_groups_ages_over_89():
    assert [age_category(a) for a in (18, 89, 90, 104)] == ["18", "89", "90+", "90+"]
    assert age_years(dt.date(1935, 6, 2), dt.date(2025, 6, 1)) == 89


def test_it_shifts_dates_within_a_year_never_by_zero_and_stably():
    offsets = [date_offset_days(KEY, "harbour", n) for n in range(2000)]
    assert all(-365 <= o <= 365 and o != 0 for o in offsets)
    assert len(set(offsets)) > 500
    assert date_offset_days(KEY, "harbour", 7) == date_offset_days(KEY, "harbour", 7)
    assert date_offset_days(b"other", "harbour", 7) != date_offset_days(KEY, "harbour", 7)
    assert shift_date(dt.date(2025, 1, 1), -1) == dt.date(2024, 12, 31)


def test_it_gives_stable_pseudonyms_per_key():
    assert pseudonym(KEY, "harbour", 7) == pseudonym(KEY, "harbour", 7)
    assert pseudonym(KEY, "harbour", 7) != pseudonym(KEY, "northside", 7)
    assert pseudonym(b"k2", "harbour", 7) != pseudonym(KEY, "harbour", 7)
    assert len(pseudonym(KEY, "harbour", 7)) == 17
