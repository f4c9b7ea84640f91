"""``touchstone meta FILE.csv --measure M --method METHOD [--test z|knha]``: pool studies.

A contract other tools rely on (issue 6, point 6). The CSV's columns use metafor's argument
names: ``yi, vi`` for ``GEN``; ``m1i, sd1i, n1i, m2i, sd2i, n2i`` for ``SMD`` and ``MD``;
``ai, bi, ci, di`` for ``RR`` and ``OR``. Other columns (e.g. ``study``) are ignored. Prints one
JSON object: ``MetaResult.to_dict()`` (``k, estimate, se, zval/tval, pval, ci_lb, ci_ub, tau2,
tau2_ci_lb, tau2_ci_ub, tau2_ci_lb_censored, tau2_ci_ub_censored, tau2_ci_limit, i2, h2, q,
q_df, q_p, pi_lb, pi_ub, method, test, level, converged, ...``) plus ``measure``; ratio measures
stay on the log scale, as metafor reports them. A Q-profile bound beyond the search limit is
censored, not a number: ``tau2_ci_ub`` is null and ``tau2_ci_ub_censored`` true (metafor prints
"> 100"; the limit is ``tau2_ci_limit``). ``--level`` is a proportion (0.95), as everywhere in
the science core.

Optional columns ``domain``, ``scale`` and ``design`` (``controlled``, ``pre_post``,
``meta_summary``) tag each study: when the file has them, the studies are pooled only if
``science.meta.compat.check_poolable`` allows it (one outcome domain, one design, mean
differences on one scale, no study twice when a ``study`` column names them); otherwise the
command exits 2 naming the studies and what differs.

Bad input exits 2 with one line naming the file line and column: missing columns,
non-numeric or non-finite values, negative variances / SDs / counts, group sizes that are not
positive whole numbers, fewer than two studies for a random-effects model, an empty or
unreadable file. The csv module is used (not pandas) because it reports the physical line
number of every record (``reader.line_num``), which a quoted multi-line field would shift.
"""

from __future__ import annotations

import csv
import json
import math
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from touchstone.science.meta.compat import PoolableEffect, check_poolable
from touchstone.science.meta.effects import escalc
from touchstone.science.meta.models import DEFAULT_LEVEL, rma

COLUMNS = {
    "GEN": ("yi", "vi"),
    "SMD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "MD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "RR": ("ai", "bi", "ci", "di"),
    "OR": ("ai", "bi", "ci", "di"),
}
#: per column: (smallest allowed value, strictly greater?, whole number?)
_RULES: dict[str, tuple[float, bool, bool]] = {
    "vi": (0.0, True, False),
    "sd1i": (0.0, False, False),
    "sd2i": (0.0, False, False),
    "n1i": (0.0, True, True),
    "n2i": (0.0, True, True),
    "ai": (0.0, False, True),
    "bi": (0.0, False, True),
    "ci": (0.0, False, True),
    "di": (0.0, False, True),
}


def _bad(path: Path, line: int | None, column: str | None, problem: str) -> CommandError:
    where = f"{path}"
    if line is not None:
        where += f", line {line}"
    if column is not None:
        where += f", column '{column}'"
    return CommandError(f"{where}: {problem}", returncode=2)


def _value(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        shown = text if text.strip() else "(empty)"
        raise _bad(path, line, column, f"{shown!r} is not a number") from None
    if not math.isfinite(value):
        raise _bad(path, line, column, f"{text!r} is not a finite number")
    if column in _RULES:
        floor, strict, whole = _RULES[column]
        if value < floor or (strict and value == floor):
            kind = "positive" if strict else "negative"
            need = f"must be {kind}" if strict else "must not be negative"
            raise _bad(path, line, column, f"{value:g} {need}")
        if whole and not value.is_integer():
            raise _bad(path, line, column, f"{value:g} must be a whole number")
    return value


def _row_checks(path: Path, measure: str, line: int, row: dict[str, float]) -> None:
    """Per-study conditions under which metafor's escalc would give no finite effect."""
    if measure in ("RR", "OR"):
        if row["ai"] + row["bi"] == 0:
            raise _bad(path, line, "ai, bi", "the treatment group has no participants")
        if row["ci"] + row["di"] == 0:
            raise _bad(path, line, "ci, di", "the control group has no participants")
    if measure == "SMD":
        if row["n1i"] + row["n2i"] < 4:
            raise _bad(path, line, "n1i, n2i", "Hedges' g needs n1i + n2i of at least 4")
        if row["sd1i"] == 0 and row["sd2i"] == 0:
            raise _bad(path, line, "sd1i, sd2i", "the pooled standard deviation is 0")
    if measure == "MD" and row["sd1i"] == 0 and row["sd2i"] == 0:
        raise _bad(path, line, "sd1i, sd2i", "both standard deviations are 0 (variance 0)")


TAGS = ("domain", "scale", "design")


def read_studies(
    path: Path, measure: str, tags: list[PoolableEffect] | None = None
) -> tuple[dict[str, list[float]], list[int]]:
    """Read the columns ``measure`` needs; return them and each study's file line number.

    If ``tags`` is a list and the file has the ``domain``/``scale``/``design`` columns, each
    study's tags are appended to it (for the compatibility rules)."""
    needed = COLUMNS[measure]
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if not header:
                raise _bad(path, None, None, "the file is empty")
            names = [h.strip() for h in header]
            missing = [c for c in needed if c not in names]
            if missing:
                raise _bad(path, 1, ", ".join(missing), f"missing column(s) for {measure}")
            reader.fieldnames = names
            tagged = [t for t in TAGS if t in names]
            if tagged and len(tagged) < len(TAGS):
                missing_tags = [t for t in TAGS if t not in names]
                raise _bad(
                    path, 1, ", ".join(missing_tags), "give domain, scale and design together"
                )
            columns: dict[str, list[float]] = {c: [] for c in needed}
            lines: list[int] = []
            for record in reader:
                if not any((v or "").strip() for v in record.values() if isinstance(v, str)):
                    continue  # a blank line
                line = reader.line_num
                row = {}
                for c in needed:
                    text = record.get(c)
                    row[c] = _value(path, line, c, text if isinstance(text, str) else "")
                _row_checks(path, measure, line, row)
                if tagged and tags is not None:
                    values = {t: (record.get(t) or "").strip() for t in TAGS}
                    study = (record.get("study") or "").strip()
                    tags.append(
                        PoolableEffect(
                            label=study or f"line {line}",
                            domain=values["domain"],
                            scale=values["scale"],
                            design=values["design"],
                            measure=measure,
                            study=study,
                        )
                    )
                for c in needed:
                    columns[c].append(row[c])
                lines.append(line)
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(path, None, None, f"cannot read the file ({exc.__class__.__name__})") from exc
    except csv.Error as exc:
        raise _bad(path, None, None, f"not a valid CSV file ({exc})") from exc
    return columns, lines


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Command(BaseCommand):
    help = "Meta-analysis of a CSV of studies (metafor column names); prints one JSON object."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="CSV file, one study per row")
        parser.add_argument("--measure", required=True, choices=sorted(COLUMNS))
        parser.add_argument("--method", default="REML", choices=["FE", "DL", "REML", "PM"])
        parser.add_argument("--test", default="z", choices=["z", "knha"])
        parser.add_argument(
            "--level",
            type=float,
            default=DEFAULT_LEVEL,
            help="confidence level as a proportion (default 0.95)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        measure, method, test = options["measure"], options["method"], options["test"]
        if not 0 < options["level"] < 1:
            raise CommandError(
                f"--level is a proportion between 0 and 1, e.g. 0.95 (got {options['level']:g})",
                returncode=2,
            )
        tags: list[PoolableEffect] = []
        columns, lines = read_studies(path, measure, tags)
        if not lines:
            raise _bad(path, None, None, "no studies (the file has a header but no data rows)")
        if tags:
            verdict = check_poolable(tags, minimum=1)
            if not verdict.ok:
                raise _bad(path, None, None, f"cannot be pooled: {verdict.message}")
        if method != "FE" and len(lines) < 2:
            raise _bad(
                path,
                lines[0],
                None,
                f"a random-effects model ({method}) needs at least 2 studies, found 1",
            )
        if test == "knha" and len(lines) < 2:
            raise _bad(path, lines[0], None, "--test knha needs at least 2 studies, found 1")
        es = escalc(measure, **columns)
        result = rma(es.yi, es.vi, method=method, test=test, level=options["level"])
        out = {"measure": measure, **{k: _finite(v) for k, v in result.to_dict().items()}}
        self.stdout.write(json.dumps(out))
