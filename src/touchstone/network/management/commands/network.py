"""``touchstone network generate --clinics N --clients-per-clinic M --seed S --out DIR
[--stepped-wedge STUDY_DIR]``, ``touchstone network analyze DIR [--engine duckdb|spark]
[--master URL] [--study STUDY_DIR] --out RESULTS.json``, and a stepped-wedge study's
``touchstone network stepped-wedge register DRAFT.json --out STUDY_DIR`` and
``touchstone network stepped-wedge reveal STUDY_DIR --on DATE [--clinic NAME]``.

Bad input (a directory that is not a network of exports, a wrong schema version, duplicated
pseudonyms, a missing manifest, an impossible score, study data that do not fit the
registered protocol, a schedule still sealed) exits with status 2 and one line naming the
clinic and the file; the results file is then neither written nor changed.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from touchstone.accounts.commands import bad
from touchstone.logs.commands import as_job
from touchstone.science.network.analysis import analyze, write_results
from touchstone.science.network.engines import ENGINES, open_engine
from touchstone.science.network.inputs import NetworkInputError, load_network
from touchstone.science.network.stepped_wedge import StudyError, load_study, register, today
from touchstone.science.network.synthetic import generate
from touchstone.science.research_format import MODES, SAFE_HARBOR


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise ArgumentTypeError("must be 1 or more")
    return value


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


class Command(BaseCommand):
    help = "The research network: build a synthetic network, or analyse clinics' exports."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("generate", help="Write a deterministic synthetic network.")
        p.add_argument("--clinics", type=_positive, required=True)
        p.add_argument("--clients-per-clinic", type=_positive, required=True)
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument(
            "--mode",
            choices=MODES,
            default=SAFE_HARBOR,
            help="De-identification mode of the exports (default safe_harbor: day counts)",
        )
        p.add_argument(
            "--no-csv",
            dest="csv",
            action="store_false",
            help="Write only the Parquet files the network reads (no CSV copies)",
        )
        p.add_argument(
            "--stepped-wedge",
            type=Path,
            metavar="STUDY_DIR",
            help="Register a stepped-wedge study of every clinic in STUDY_DIR (outside --out) "
            "and give its clinics a known effect; their exports are limited data sets",
        )
        p.add_argument("--periods", type=_positive, default=5, help="Study periods (default 5)")
        p.add_argument(
            "--effect", type=float, default=-3.0, help="PHQ-9 points of the intervention (-3)"
        )
        p = sub.add_parser("analyze", help="Run the pooled analyses on a directory of exports.")
        p.add_argument("directory", type=Path)
        p.add_argument("--engine", choices=ENGINES, default="duckdb")
        p.add_argument(
            "--master",
            default="local[*]",
            help="Spark master URL (spark://host:7077, yarn, k8s://...); default local[*]",
        )
        p.add_argument(
            "--conf",
            type=_setting,
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="A Spark setting (repeatable), e.g. spark.executor.memory=8g",
        )
        p.add_argument(
            "--study",
            type=Path,
            metavar="STUDY_DIR",
            help="A registered stepped-wedge study to analyse (its protocol and seal)",
        )
        p.add_argument("--out", type=Path, required=True)
        p = sub.add_parser("stepped-wedge", help="Register a stepped-wedge study, or reveal steps.")
        steps = p.add_subparsers(dest="step_action", required=True)
        q = steps.add_parser("register", help="Freeze a draft protocol and seal its seed.")
        q.add_argument("draft", type=Path)
        q.add_argument("--out", type=Path, required=True, metavar="STUDY_DIR")
        q = steps.add_parser("reveal", help="The steps a clinic may know on a day.")
        q.add_argument("study", type=Path, metavar="STUDY_DIR")
        q.add_argument("--on", type=_day, default=None, help="The day (default: today)")
        q.add_argument("--clinic", default=None)

    @as_job("network")
    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "stepped-wedge":
            try:
                self._stepped_wedge(options)
            except StudyError as error:
                raise bad(str(error)) from None
            return
        if options["action"] == "generate":
            out: Path = options["out"]
            if out.exists() and any(out.iterdir()):
                raise bad(f"{out}: not empty; generate writes into a new directory")
            study_dir = options["stepped_wedge"]
            if study_dir is not None and out.resolve() in study_dir.resolve().parents:
                raise bad(f"{study_dir}: inside {out}, where every directory is a clinic")
            try:
                made = generate(
                    out,
                    clinics=options["clinics"],
                    clients_per_clinic=options["clients_per_clinic"],
                    seed=options["seed"],
                    mode=options["mode"],
                    csv=options["csv"],
                    stepped_wedge=study_dir,
                    periods=options["periods"],
                    effect=options["effect"],
                )
            except StudyError as error:
                raise bad(f"nothing generated: {error}") from None
            counts = ", ".join(f"{v} {k}" for k, v in made.counts.items())
            self.stdout.write(f"{made.clinics} clinic exports in {out}: {counts}")
            return
        try:
            network = load_network(options["directory"])
            study = load_study(options["study"]) if options["study"] else None
        except (NetworkInputError, StudyError) as error:
            raise bad(f"nothing analysed: {error}") from None
        engine = open_engine(options["engine"], master=options["master"],
                             conf=dict(options["conf"]))  # fmt: skip
        try:
            result = analyze(network, engine, study=study)
        except (NetworkInputError, StudyError) as error:
            raise bad(f"nothing analysed: {error}") from None
        finally:
            engine.close()
        write_results(result, options["out"])
        self.stdout.write(
            f"{len(network.clinics)} clinics analysed on {engine.name} in "
            f"{result['run']['seconds']} s: {options['out']}"
        )

    def _stepped_wedge(self, options: dict[str, Any]) -> None:
        if options["step_action"] == "register":
            try:
                draft = json.loads(options["draft"].read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
                raise StudyError(f"{options['draft']}: not a JSON draft ({error})") from None
            study = register(draft, options["out"])
            power = study.content["power"]
            self.stdout.write(
                f"study {study.id} registered in {options['out']}: protocol SHA-256 "
                f"{study.sha256}; power {power['power']:.3f} for {power['difference']:g} points"
            )
            return
        study = load_study(options["study"])
        on = options["on"] or today()
        for clinic, period in study.reveal(on, options["clinic"]).items():
            if period is None:
                self.stdout.write(f"{clinic}: usual care; its step is not revealed yet")
            else:
                start = study.period_start(period).isoformat()
                self.stdout.write(f"{clinic}: intervention from period {period} ({start})")
