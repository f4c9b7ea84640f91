"""The shipped list of ICD-10-CM codes an episode's diagnoses may use (``data/icd10cm.csv``).

Titles were written from memory from the CMS FY2025 tabular list; every code and title is now
checked against the CMS April 1, 2026 release that simple-icd-10-cm 1.5.0 ships
(``claims/tests/test_codes.py``: all billable, all titles equal). Claims check billability with
``claims.codes``.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

CSV_PATH = Path(__file__).with_name("data") / "icd10cm.csv"


@cache
def codes() -> dict[str, str]:
    """Code -> official title, in file order."""
    with CSV_PATH.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return {row["code"]: row["title"] for row in csv.DictReader(lines)}


def normalise(code: str) -> str:
    """Upper case, no spaces, a dot after the third character (``f411`` -> ``F41.1``)."""
    code = code.strip().upper().replace(" ", "")
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def title(code: str) -> str:
    return codes().get(code, "")
