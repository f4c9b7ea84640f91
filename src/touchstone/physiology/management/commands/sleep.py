"""``touchstone sleep FILE.csv``: Consensus Sleep Diary metrics, one JSON object per night."""

from __future__ import annotations

import csv
import json
import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology.sleep import SleepNight, parse_clock, sleep_night

COLUMNS = ("in_bed", "tried_sleep", "sol_min", "awakenings", "waso_min", "final_wake", "out_of_bed")


def _number(text: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise PhysiologyError(f"{column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise PhysiologyError(f"{column} {text!r} is not a number")
    return value


def night_from_row(row: dict[str, str]) -> SleepNight:
    """Build one night from a CSV row with the columns in ``COLUMNS``."""
    cells = {column: (row.get(column) or "").strip() for column in COLUMNS}
    for column, text in cells.items():
        if not text:
            raise PhysiologyError(f"{column} is empty")
    awakenings = _number(cells["awakenings"], "awakenings")
    if awakenings != int(awakenings):
        raise PhysiologyError(f"awakenings {cells['awakenings']!r} is not a whole number")
    return sleep_night(
        in_bed=parse_clock(cells["in_bed"], "in_bed"),
        tried_sleep=parse_clock(cells["tried_sleep"], "tried_sleep"),
        sol_min=_number(cells["sol_min"], "sol_min"),
        awakenings=int(awakenings),
        waso_min=_number(cells["waso_min"], "waso_min"),
        final_wake=parse_clock(cells["final_wake"], "final_wake"),
        out_of_bed=parse_clock(cells["out_of_bed"], "out_of_bed"),
    )


class Command(BaseCommand):
    help = (
        "Print Consensus Sleep Diary metrics (tib_min, tst_min, se_pct, sol_min, waso_min, "
        "twt_min, ...) for each night of a CSV with the columns " + ", ".join(COLUMNS) + " "
        "(clock times HH:MM, durations in minutes), one JSON object per line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file, one night per row")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
                if missing:
                    raise CommandError(
                        f"{path}: missing column(s) {', '.join(missing)}", returncode=2
                    )
                nights = []
                # Row 1 is the header, so the first night is row 2, as a spreadsheet shows it.
                for row_no, row in enumerate(reader, 2):
                    try:
                        nights.append(night_from_row(row))
                    except PhysiologyError as error:
                        raise CommandError(f"{path}: row {row_no}: {error}", returncode=2) from None
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file", returncode=2) from None
        except UnicodeDecodeError:
            raise CommandError(f"{path}: not a UTF-8 text file", returncode=2) from None
        if not nights:
            raise CommandError(f"{path}: no nights in the file", returncode=2)
        for night in nights:
            self.stdout.write(json.dumps(night.to_dict()))
