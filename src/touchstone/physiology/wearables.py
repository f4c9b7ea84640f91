"""Wearable CSV exports: read, preview, map columns, validate every row.

The clinic maps the export's columns to ours (any device: Oura, Fitbit, Garmin, Withings,
Apple Health through an exporter all give one row per night or day), then every row is
validated before anything is stored. The import is all-or-nothing: one bad row and nothing is
imported; the report names each rejected line (the header is line 1, as in a spreadsheet).
We deliberately offer no "import the valid rows only": a half-imported export leaves silent
gaps in a client's chart, and fixing the file and uploading it again is quick.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from touchstone.clients.models import Client
from touchstone.physiology.models import WearableDay, WearableKind

#: Largest export kept between the steps (in the server-side session, never in logs).
MAX_IMPORT_BYTES = 512 * 1024
MAX_IMPORT_ROWS = 5000
PREVIEW_ROWS = 5
#: No device export has more columns or longer cells; beyond them the file is refused before
#: any form is built from its header (125,000 columns made a form of 125,000 choices).
MAX_COLUMNS = 200
MAX_CELL_CHARS = 1000

DATE_FORMATS = [
    ("%Y-%m-%d", "2024-06-01 (ISO)"),
    ("%d/%m/%Y", "01/06/2024 (day first)"),
    ("%m/%d/%Y", "06/01/2024 (month first)"),
    ("%d.%m.%Y", "01.06.2024"),
    ("iso", "ISO date and time, 2024-06-01T23:10:00"),
]
TIME_FORMATS = [
    ("%H:%M", "23:10"),
    ("%H:%M:%S", "23:10:00"),
    ("%I:%M %p", "11:10 PM"),
    ("iso", "ISO date and time, 2024-06-01T23:10:00"),
]
DURATION_UNITS = [("min", "minutes"), ("h", "hours (7.5)"), ("hmm", "hours:minutes (7:30)")]

#: Our fields for each kind of export: (name, label, required).
TARGETS: dict[str, list[tuple[str, str, bool]]] = {
    WearableKind.SLEEP: [
        ("date", "Date (of the night)", True),
        ("bedtime", "Bedtime", True),
        ("wake_time", "Wake time", True),
        ("tst", "Total sleep time", False),
    ],
    WearableKind.HEART: [
        ("date", "Date", True),
        ("resting_hr", "Resting heart rate (bpm)", False),
        ("rmssd", "HRV: RMSSD (ms)", False),
    ],
}


class UnreadableFile(ValueError):
    """The file cannot be read at all (encoding, size, no header, too many rows); ``reason``
    is a fixed code for logs (the message is for the person)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line number, cells)

    def preview(self) -> list[list[str]]:
        return [cells for _, cells in self.rows[:PREVIEW_ROWS]]


def decode(raw: bytes) -> str:
    if len(raw) > MAX_IMPORT_BYTES:
        raise UnreadableFile(
            f"The file is larger than {MAX_IMPORT_BYTES // 1024} KB.", reason="too_large"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "This is not a text CSV file (UTF-8 expected).", reason="not_utf8"
        ) from None


def _checked(reader: Any) -> Iterable[list[str]]:
    """The reader's rows, refusing a row with too many columns or a too long cell, and turning
    the csv module's own errors (a cell over its 128 KB limit, a stray NUL) into the clear
    message every unreadable file gets."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise UnreadableFile(
                f"Line {reader.line_num} cannot be read as CSV (a cell of more than "
                f"{MAX_CELL_CHARS} characters, or a stray control character).",
                reason="bad_csv",
            ) from None
        if len(cells) > MAX_COLUMNS:
            raise UnreadableFile(
                f"Line {reader.line_num} has {len(cells)} columns; at most {MAX_COLUMNS} are read.",
                reason="too_many_columns",
            )
        if any(len(c) > MAX_CELL_CHARS for c in cells):
            raise UnreadableFile(
                f"Line {reader.line_num} has a cell of more than {MAX_CELL_CHARS} characters.",
                reason="cell_too_long",
            )
        yield cells


def read_table(text: str) -> Table:
    """Split a CSV export into its header and rows (comma, semicolon or tab separated)."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for cells in _checked(reader):
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            continue
        rows.append((line, [c.strip() for c in cells]))
        if len(rows) > MAX_IMPORT_ROWS:
            raise UnreadableFile(
                f"The file has more than {MAX_IMPORT_ROWS} rows; split it.", reason="too_many_rows"
            )
    if header is None or len(header) < 2:
        raise UnreadableFile(
            "The first line must be a header naming at least two columns.", reason="no_header"
        )
    if not rows:
        raise UnreadableFile("The file has a header but no rows.", reason="no_rows")
    return Table(header, rows)


@dataclass(frozen=True)
class Mapping:
    kind: str
    columns: dict[str, int]  # our field -> column index
    date_format: str
    time_format: str
    duration_unit: str
    source: str = ""


@dataclass
class Validation:
    rows: list[WearableDay] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _date(text: str, fmt: str) -> dt.date:
    if fmt == "iso":
        return dt.datetime.fromisoformat(text).date()
    return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date


def _time(text: str, fmt: str) -> dt.time:
    if fmt == "iso":
        return dt.datetime.fromisoformat(text).time().replace(second=0, microsecond=0)
    return dt.datetime.strptime(text, fmt).time().replace(second=0)  # noqa: DTZ007 - clock


def _number(text: str) -> float:
    value = (
        float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    )
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _duration(text: str, unit: str) -> float:
    if unit == "hmm":
        hours, sep, minutes = text.partition(":")
        if not sep or not hours.isdigit() or not minutes.isdigit() or int(minutes) > 59:
            raise ValueError(text)
        return int(hours) * 60.0 + int(minutes)
    value = _number(text)
    return value * 60 if unit == "h" else value


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index]


def validate(
    table: Table, mapping: Mapping, client: Client, existing: Iterable[dt.date]
) -> Validation:
    """Check every row; return the rows to store, or the reason of each rejected line.

    ``existing`` are the dates already stored for this client and kind: a row for one of
    them is refused (the import never overwrites), as is a date repeated in the file.
    """
    out = Validation()
    seen: dict[dt.date, int] = {}
    stored = set(existing)
    cols = mapping.columns
    for line, cells in table.rows:
        try:
            row = _row(cells, cols, mapping, client)
        except ValueError as error:
            out.errors.append((line, str(error)))
            continue
        if row.day in stored:
            out.errors.append((line, f"{row.day} is already recorded for this client."))
            continue
        if row.day in seen:
            out.errors.append((line, f"{row.day} appears twice (also on line {seen[row.day]})."))
            continue
        seen[row.day] = line
        try:
            row.full_clean(exclude=["clinic", "client", "created_by"], validate_unique=False)
        except ValidationError as error:
            out.errors.append((line, " ".join(_messages(error))))
            continue
        out.rows.append(row)
    return out


def _row(cells: list[str], cols: dict[str, int], mapping: Mapping, client: Client) -> WearableDay:
    def text(name: str) -> str:
        return _cell(cells, cols.get(name))

    raw_date = text("date")
    if not raw_date:
        raise ValueError("the date is empty.")
    try:
        day = _date(raw_date, mapping.date_format)
    except ValueError:
        raise ValueError(f"date {raw_date!r} does not match the chosen date format.") from None
    row = WearableDay(
        clinic_id=client.clinic_id, client=client, day=day, kind=mapping.kind, source=mapping.source
    )
    if mapping.kind == WearableKind.SLEEP:
        for name, label in (("bedtime", "bedtime"), ("wake_time", "wake time")):
            raw = text(name)
            if not raw:
                raise ValueError(f"the {label} is empty.")
            try:
                setattr(row, name, _time(raw, mapping.time_format))
            except ValueError:
                raise ValueError(
                    f"{label} {raw!r} does not match the chosen time format."
                ) from None
        raw = text("tst")
        if raw:
            try:
                row.tst_min = _duration(raw, mapping.duration_unit)
            except ValueError:
                raise ValueError(
                    f"total sleep {raw!r} is not a duration in the chosen unit."
                ) from None
            if row.tst_min < 0:
                raise ValueError(f"total sleep {raw!r} is negative.")
    else:
        for name, label in (("resting_hr", "resting heart rate"), ("rmssd", "RMSSD")):
            raw = text(name)
            if raw:
                try:
                    setattr(row, name, _number(raw))
                except ValueError:
                    raise ValueError(f"{label} {raw!r} is not a number.") from None
    return row


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        labels = {
            "tst_min": "total sleep",
            "resting_hr": "resting heart rate",
            "rmssd": "RMSSD",
            "day": "date",
        }
        return [
            f"{labels.get(name, name).capitalize()}: {message}" if name != "__all__" else message
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)
