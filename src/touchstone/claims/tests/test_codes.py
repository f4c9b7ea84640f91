"""The code sets: NPI (python-stdnum's Luhn over 80840), EIN, taxonomy, ICD-10-CM from
simple-icd-10-cm (CMS April 2026 release)."""

from __future__ import annotations

import pytest

from touchstone.care import icd10
from touchstone.claims import codes


def test_npi_check_digit():
    assert codes.npi_problem("1234567893") is None  # CMS's worked example
    assert "check digit" in str(codes.npi_problem("1234567890"))
    assert "10 digits" in str(codes.npi_problem("12345"))


def test_ein_and_taxonomy():
    assert codes.ein_problem("12-3456789") is None
    assert codes.ein_problem("00-1234567") is not None  # 00 is no IRS campus prefix
    assert codes.taxonomy_problem("225700000X") is None
    assert codes.taxonomy_problem("2257") is not None


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("F41.1", None),
        ("F411", None),
        ("F41", "header code"),
        ("F43.8", "header code"),  # a category since FY2023 (F43.81, F43.89)
        ("F40-F48", "not an ICD-10-CM code"),
        ("Q99.99", "not an ICD-10-CM code"),
    ],
)
def test_icd10cm_billability(code: str, problem: str | None):
    found = codes.icd_problem(code)
    assert found is None if problem is None else problem in str(found)


def test_the_shipped_diagnosis_list_matches_the_release():
    """care/data/icd10cm.csv was written from memory: every code must be billable in the
    April 2026 release and carry its official title."""
    wrong = {
        code: (title, codes.icd_title(code))
        for code, title in icd10.codes().items()
        if codes.icd_problem(code) or codes.icd_title(code) != title
    }
    assert wrong == {}
