"""``touchstone network generate --clinics N --clients-per-clinic M --seed S --out DIR`` and
``touchstone network analyze DIR [--engine duckdb|spark] [--master URL] --out RESULTS.json``.

Bad input (a directory that is not a network of exports, a wrong schema version, duplicated
pseudonyms, a missing manifest, an impossible score) exits with status 2 and one line naming
the clinic and the file; the results file is then neither written nor changed.
"""

from __future__ import annotations

from argparse import ArgumentParser, ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from touchstone.accounts.commands import bad
from touchstone.logs.commands import as_job
from touchstone.science.network.analysis import analyze, write_results
from touchstone.science.network.engines import ENGINES, open_engine
from touchstone.science.network.inputs import NetworkInputError, load_network
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
        p.add_argument("--out", type=Path, required=True)

    @as_job("network")
    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate":
            out: Path = options["out"]
            if out.exists() and any(out.iterdir()):
                raise bad(f"{out}: not empty; generate writes into a new directory")
            made = generate(
                out,
                clinics=options["clinics"],
                clients_per_clinic=options["clients_per_clinic"],
                seed=options["seed"],
                mode=options["mode"],
                csv=options["csv"],
            )
            counts = ", ".join(f"{v} {k}" for k, v in made.counts.items())
            self.stdout.write(f"{made.clinics} clinic exports in {out}: {counts}")
            return
        try:
            network = load_network(options["directory"])
        except NetworkInputError as error:
            raise bad(f"nothing analysed: {error}") from None
        engine = open_engine(options["engine"], master=options["master"],
                             conf=dict(options["conf"]))  # fmt: skip
        try:
            result = analyze(network, engine)
        except NetworkInputError as error:
            raise bad(f"nothing analysed: {error}") from None
        finally:
            engine.close()
        write_results(result, options["out"])
        self.stdout.write(
            f"{len(network.clinics)} clinics analysed on {engine.name} in "
            f"{result['run']['seconds']} s: {options['out']}"
        )
