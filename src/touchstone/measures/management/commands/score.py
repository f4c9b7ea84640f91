"""``touchstone score INSTRUMENT A1 A2 ...`` and ``touchstone score INSTRUMENT --csv IN --out OUT``.

Contract (other tools rely on it): answers are the response values of the items in the
order printed by ``touchstone instruments INSTRUMENT`` (scored items, optionally followed by
unscored ones), ``-`` for a missing answer. Prints one JSON object (``ScoreResult.to_dict``).
Exit 0 for valid input (computable or not); 2 with a one-line message for invalid input.
``--sex`` gives the client's sex assigned at birth for items asked of one sex only:
``touchstone score phq15 --sex male 0 1 2 - 0 ...`` scores PHQ-15 over its 14 other items.
"""

from __future__ import annotations

import csv
import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from touchstone.lib import csv_cells
from touchstone.logs.commands import as_job
from touchstone.science.instruments import (
    AnswerError,
    Instrument,
    UnknownInstrumentError,
    load_instrument,
    score,
)
from touchstone.science.instruments.model import SEXES

CSV_FIELDS = [
    "line", "id", "total", "severity", "computable", "reason", "risk_flags", "risk_unknown",
]  # fmt: skip


def get_instrument(instrument_id: str) -> Instrument:
    """The built-in instrument, or a ``CommandError`` (exit 2) naming the unknown id."""
    try:
        return load_instrument(instrument_id)
    except UnknownInstrumentError:
        raise CommandError(
            f"unknown instrument {instrument_id!r}; see `touchstone instruments`", returncode=2
        ) from None


class Command(BaseCommand):
    help = "Score one response (answers in item order, '-' for missing) or a CSV file."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        """Options may come before the answers (``score phq15 --sex male 0 1 ...``): argparse
        would otherwise bind the empty answer list before ``--sex`` and refuse the rest."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.parse_args = parser.parse_intermixed_args  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("instrument", help="instrument id, e.g. phq9")
        parser.add_argument("answers", nargs="*", help="response values in item order")
        parser.add_argument("--csv", dest="csv_in", type=Path, help="CSV of responses")
        parser.add_argument("--out", type=Path, help="CSV of scores (with --csv)")
        parser.add_argument(
            "--sex",
            choices=SEXES,
            help="sex assigned at birth, for items asked of one sex only (PHQ-15 item 4)",
        )

    @as_job("score")
    def handle(self, *args: Any, **options: Any) -> None:
        instrument = get_instrument(options["instrument"])
        if options["csv_in"] is not None:
            if options["answers"] or options["out"] is None:
                raise CommandError("--csv needs --out and no answers", returncode=2)
            self._score_file(instrument, options["csv_in"], options["out"], options["sex"])
            return
        try:
            result = score(instrument, options["answers"], sex=options["sex"])
        except AnswerError as exc:
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(json.dumps(result.to_dict()))

    def _score_file(
        self, instrument: Instrument, path_in: Path, path_out: Path, sex: str | None
    ) -> None:
        """Score every row; a bad row is reported by line number and skipped.

        The input has a header row: an optional ``id`` column, then one column per item in
        item order (named by linkId or anything else; order is what counts).
        """
        try:
            with path_in.open(newline="", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
        except OSError as exc:
            raise CommandError(f"cannot read {path_in}: {exc.strerror}", returncode=2) from None
        if not rows:
            raise CommandError(f"{path_in} is empty", returncode=2)
        header, body = rows[0], rows[1:]
        has_id = bool(header) and header[0].strip().lower() == "id"
        subscales = [s.id for s in instrument.subscales]
        rejected = 0
        with path_out.open("w", newline="", encoding="utf-8") as out:
            writer = csv_cells.writer(out)
            writer.writerow(CSV_FIELDS + subscales)
            for line, row in enumerate(tqdm(body, desc=instrument.id, file=sys.stderr), start=2):
                row_id, answers = (row[0], row[1:]) if has_id else ("", row)
                try:
                    r = score(instrument, answers, sex=sex)
                except AnswerError as exc:
                    rejected += 1
                    self.stderr.write(f"line {line}: {exc}")
                    continue
                writer.writerow(
                    [
                        line,
                        row_id,
                        "" if r.total is None else r.total,
                        r.severity or "",
                        r.computable,
                        r.reason or "",
                        ";".join(r.risk_flags),
                        ";".join(r.risk_unknown),
                    ]
                    + ["" if r.subscales[s] is None else r.subscales[s] for s in subscales]
                )
        summary = {
            "instrument": instrument.id,
            "rows": len(body),
            "scored": len(body) - rejected,
            "rejected": rejected,
            "out": str(path_out),
        }
        self.stdout.write(json.dumps(summary))
        if rejected:
            raise CommandError(f"{rejected} of {len(body)} rows rejected", returncode=2)
