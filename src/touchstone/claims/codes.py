"""The code sets of a claim, checked without Django: NPI, EIN, taxonomy code, ICD-10-CM.

* **NPI**: ten digits whose last is the ISO/IEC 7812 Luhn check digit computed over the
  prefix 80840 and the first nine digits (CMS, "Requirements for National Provider
  Identifier (NPI) and NPI Enumeration"), checked with python-stdnum's ``luhn`` module
  (``lib.npi``).
* **EIN**: python-stdnum's ``us.ein`` (two digits, seven digits, a known campus prefix).
* **Health care provider taxonomy code**: the shape of the NUCC code set (ten characters,
  e.g. 225700000X for a massage therapist); the list itself is not shipped.
* **ICD-10-CM**: titles and billability from ``simple_icd_10_cm`` (MIT; version 1.5.0 ships
  the CMS April 1, 2026 release of the FY2026 code set). A code is billable when it is a
  leaf of the tabular list; a category or subcategory with children (a header) is not.
  The library parses the whole tabular list when first imported (seconds), so it is
  imported on first use, never at start-up.

Examples
--------
>>> npi_problem("1234567893") is None, npi_problem("1234567890") is not None
(True, True)
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from types import ModuleType

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ein

from touchstone.lib.npi import npi_is_valid

#: NUCC taxonomy codes: ten characters, the last an X (e.g. 225700000X Massage Therapist).
TAXONOMY_RE = re.compile(r"^[0-9]{3}[0-9A-Z]{6}X$")
#: The taxonomy of a massage therapist (NUCC 225700000X).
MASSAGE_THERAPIST_TAXONOMY = "225700000X"


def npi_problem(npi: str) -> str | None:
    """Why ``npi`` is not an NPI, or None when it is one."""
    if len(npi) != 10 or not npi.isdigit():
        return "An NPI is 10 digits."
    if not npi_is_valid(npi):
        return "This NPI's check digit is wrong (Luhn over 80840 + NPI): check the number."
    return None


def ein_problem(tax_id: str) -> str | None:
    """Why ``tax_id`` is not an Employer Identification Number, or None."""
    try:
        ein.validate(tax_id)
    except StdnumError:
        return "Enter the EIN as 12-3456789 (nine digits, a valid IRS prefix)."
    return None


def ein_digits(tax_id: str) -> str:
    return str(ein.compact(tax_id))


def taxonomy_problem(code: str) -> str | None:
    if not TAXONOMY_RE.match(code):
        return "A taxonomy code is 10 characters ending in X, e.g. 225700000X."
    return None


@cache
def _icd() -> ModuleType:
    with warnings.catch_warnings():
        # 1.5.0 reads its data with importlib.resources' legacy read_text (deprecated).
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm  # parses the whole code set: on first use only

    return simple_icd_10_cm


def icd_problem(code: str) -> str | None:
    """Why ``code`` (with or without its dot) cannot go on a claim, or None."""
    icd = _icd()
    if not icd.is_valid_item(code) or icd.is_chapter_or_block(code):
        return f"{code} is not an ICD-10-CM code (April 2026 release)."
    if not icd.is_leaf(code):
        return (
            f"{code} is a header code, not billable: choose one of its subcodes "
            f"({', '.join(icd.get_children(code)[:4])}…)."
        )
    return None


def icd_title(code: str) -> str:
    """The official title of ``code`` ("" for a code the release does not have)."""
    icd = _icd()
    return str(icd.get_description(code)) if icd.is_valid_item(code) else ""


def icd_without_dot(code: str) -> str:
    """The code as X12 and the CMS-1500 carry it: no dot (F41.1 -> F411)."""
    return code.replace(".", "").strip().upper()
