"""CSV files that a spreadsheet opens as data, never as formulas (CSV or formula injection).

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some
spreadsheets skip before looking for one of those) is read by Excel, LibreOffice and Google
Sheets as a formula: a study label or a staff name such as ``=HYPERLINK("http://…")`` runs
when the owner opens the export. OWASP's remedy ("CSV Injection", owasp.org/www-community/
attacks/CSV_Injection) is to prefix such a cell with a single quote, which spreadsheets show
as text and do not evaluate. Every CSV Touchstone writes goes through :func:`writer` (rows) or
:func:`safe_frame` (pandas), so no writer can forget it.

Numbers are left alone: an ``int``/``float`` cannot be a formula, and neither can a text that
is exactly a number (``-0.35``, ``+2``, ``1e-3``), so effect sizes keep their sign.

Examples
--------
>>> safe_cell("=1+1"), safe_cell("@SUM(A1)"), safe_cell("-0.35"), safe_cell(-2), safe_cell("Ana")
("'=1+1", "'@SUM(A1)", '-0.35', -2, 'Ana')
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """``value``, with a leading ``'`` when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, handle: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: Any, **kwargs: Any) -> SafeWriter:
    """A CSV writer for ``handle`` (a file, or an ``HttpResponse``) that neutralises formulas."""
    return SafeWriter(handle, **kwargs)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are neutralised, for ``DataFrame.to_csv``."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = frame.copy()
    for column in out.columns:
        if is_object_dtype(out[column]) or is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out
