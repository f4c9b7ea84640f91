"""``touchstone export fhir CLIENT_ID --out FILE.json`` and ``touchstone export research --out
DIR [--mode safe_harbor|limited_data_set] [--with-diagnoses] [--study PROTOCOL.json]``
(contracts other tools rely on). ``--clinic SLUG`` names the clinic (default: the only
one). Bad input exits 2 with one line."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from tqdm import tqdm

from touchstone.accounts.commands import TouchstoneCommand, bad
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.commands import client_of
from touchstone.interop.fhir_export import client_bundle
from touchstone.interop.research_modes import MODES, SAFE_HARBOR
from touchstone.logs.commands import as_job


class Command(TouchstoneCommand):
    help = "Export a client as a FHIR R4 Bundle, or the clinic's de-identified research data."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        p = sub.add_parser("fhir")
        p.add_argument("client_id", type=int)
        p.add_argument("--out", required=True, type=Path)
        self.add_clinic_argument(p)
        p = sub.add_parser("research")
        p.add_argument("--out", required=True, type=Path, help="Directory (created if missing).")
        p.add_argument(
            "--mode",
            choices=sorted(MODES),
            default=SAFE_HARBOR,
            help="safe_harbor (default: years and day counts only) or limited_data_set "
            "(shifted dates; only under a data use agreement).",
        )
        p.add_argument(
            "--with-diagnoses",
            action="store_true",
            help="Include the ICD-10-CM codes (left out by default).",
        )
        p.add_argument(
            "--study",
            type=Path,
            metavar="PROTOCOL_JSON",
            help="The protocol.json of a network's stepped-wedge study this clinic takes part "
            "in: adds the study period of each episode (limited_data_set mode only).",
        )
        p.add_argument("--no-progress", action="store_true")
        self.add_clinic_argument(p)

    @as_job("export")
    def handle(self, *args: Any, **options: Any) -> None:
        clinic = self.clinic_for(options["clinic"])
        out: Path = options["out"]
        actor = self.actor_for(clinic)
        if options["kind"] == "fhir":
            if not out.parent.is_dir():
                raise bad(f"{out.parent} is not a directory")
            client = client_of(clinic, options["client_id"])
            bundle = client_bundle(clinic, client, with_diagnoses=True)
            out.write_text(json.dumps(bundle, indent=1))
            record(
                actor, Action.EXPORT, client, detail=f"fhir bundle, {len(bundle['entry'])} entries"
            )
            self.stdout.write(f"{out}: Bundle with {len(bundle['entry'])} resources")
            return
        if out.exists() and not out.is_dir():
            raise bad(f"{out} exists and is not a directory")
        # pandas and scipy for the research export only: `export fhir` starts without them.
        from touchstone.interop.research import TABLES, ResearchExportError, export_research
        from touchstone.science.network.stepped_wedge import StudyError, study_from_protocol

        try:
            study = study_from_protocol(options["study"]) if options["study"] else None
        except StudyError as error:
            raise bad(str(error)) from None

        bar = tqdm(
            total=len(TABLES), desc="research export", unit="table", disable=options["no_progress"]
        )

        def advance(_: str) -> None:
            bar.update(1)

        try:
            result = export_research(
                clinic,
                out,
                mode=options["mode"],
                diagnoses=options["with_diagnoses"],
                progress=advance,
                study=study,
            )
        except ResearchExportError as error:
            raise bad(str(error)) from None
        bar.close()
        record(
            actor,
            Action.EXPORT,
            object_type="interop.research_export",
            detail=f"research export ({options['mode']}), {result.counts['clients']} clients"
            + (f", study {study.id}" if study else ""),
        )
        counts = ", ".join(f"{n} {name}" for name, n in result.counts.items())
        self.stdout.write(f"{out}: {counts}")
