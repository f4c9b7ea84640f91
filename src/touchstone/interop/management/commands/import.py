"""``touchstone import fhir FILE.json --client CLIENT_ID [--accept-patient-mismatch]`` (a
contract other tools rely on: the file's patient must be the client, see
``interop.patient_match``, unless the operator confirms it with the flag) and
``touchstone import research DIR [DIR ...] [--db FILE.duckdb] [--criteria CRITERIA]``: pool
research exports of several clinics and print the pooled outcome rates as JSON (change judged
by Jacobson & Truax, or ``--criteria nhs-talking-therapies``). Bad input exits 2 with one
line."""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from touchstone.accounts.commands import TouchstoneCommand, bad
from touchstone.clients.commands import client_of
from touchstone.interop.fhir_import import FhirImportError, PatientMismatchError, do_import_fhir
from touchstone.lib import json_limits
from touchstone.logs import import_failed, import_finished
from touchstone.logs.commands import as_job
from touchstone.science.change import CRITERIA


class Command(TouchstoneCommand):
    help = "Import FHIR QuestionnaireResponses into a client's record, or pool research exports."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        p = sub.add_parser("fhir")
        p.add_argument("file", type=Path)
        p.add_argument("--client", required=True, type=int, dest="client_id")
        p.add_argument(
            "--accept-patient-mismatch",
            action="store_true",
            help="Import although the file's patient is not the client or cannot be checked "
            "(you have checked that the answers are the client's; the audit log records it).",
        )
        self.add_clinic_argument(p)
        p = sub.add_parser("research")
        p.add_argument("directories", nargs="+", type=Path)
        p.add_argument("--db", type=Path, default=None, help="Write the pooled tables to DuckDB.")
        p.add_argument(
            "--criteria",
            choices=CRITERIA,
            default=CRITERIA[0],
            help="How change is judged (docs/change-statistics.md).",
        )

    @as_job("import")
    def handle(self, *args: Any, **options: Any) -> None:
        if options["kind"] == "research":
            self._research(options["directories"], options["db"], options["criteria"])
            return
        clinic = self.clinic_for(options["clinic"])
        client = client_of(clinic, options["client_id"])
        path: Path = options["file"]
        try:
            data = json_limits.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise bad(f"{path}: no such file") from None
        except json_limits.TooDeep as error:
            import_failed("fhir", "too_deep")
            raise bad(f"{path}: {error}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            import_failed("fhir", "not_json")
            raise bad(f"{path}: not JSON ({error})") from None
        if not isinstance(data, dict):
            import_failed("fhir", "not_a_resource")
            raise bad(f"{path}: not a FHIR resource")
        try:
            imported = do_import_fhir(
                self.actor_for(clinic),
                client,
                data,
                accept_patient_mismatch=options["accept_patient_mismatch"],
            )
        except PatientMismatchError as error:
            raise bad(
                f"{path}: {error} If you have checked that these answers are the client's, "
                "run again with --accept-patient-mismatch."
            ) from None
        except FhirImportError as error:
            raise bad(f"{path}: nothing imported: {error}") from None
        for item in imported:
            total = "not computable" if item.total is None else item.total
            alerts = f", {item.alerts} risk alert(s)" if item.alerts else ""
            self.stdout.write(f"{item.instrument_id}: total {total}{alerts}")

    def _research(self, directories: list[Path], db: Path | None, criteria: str) -> None:
        # pandas and scipy for the research import only: `import fhir` starts without them.
        from touchstone.interop.research import (
            ResearchImportError,
            load_exports,
            pooled_outcomes,
            to_duckdb,
        )

        started = time.perf_counter()
        for directory in directories:
            if not directory.is_dir():
                import_failed("research", "not_a_directory")
                raise bad(f"{directory} is not a directory")
        try:
            frames = load_exports(directories)
        except ResearchImportError as error:
            import_failed("research", "not_an_export", directories=len(directories))
            raise bad(str(error)) from None
        if db is not None:
            to_duckdb(frames, db)
        pooled = pooled_outcomes(frames, criteria=criteria)
        import_finished("research", started, sites=pooled["sites"], clients=len(frames["clients"]))
        self.stdout.write(json.dumps(pooled, indent=2))
