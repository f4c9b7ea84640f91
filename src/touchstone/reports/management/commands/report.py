"""``touchstone report progress CLIENT_ID --out FILE.pdf`` (a contract other tools rely on),
``touchstone report superbill CLIENT_ID --out FILE.pdf`` and
``touchstone report payer --start DATE --end DATE --out FILE.pdf`` and
``touchstone report measures --start DATE --end DATE --format json|csv|fhir [--out FILE]``
(the payer-grade depression measures, docs/quality-measures.md; standard output without
``--out``). ``--clinic SLUG`` names the clinic (default: the only one). Bad input exits 2
with one line."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from touchstone.accounts.commands import TouchstoneCommand, bad
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.commands import client_of
from touchstone.logs.commands import as_job
from touchstone.reports.pdf import render_pdf
from touchstone.reports.progress import ReportError, build_progress_report
from touchstone.reports.superbill import SuperbillError, build_superbill

if TYPE_CHECKING:
    from touchstone.outcomes.quality import QualityReport


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise bad(f"{text!r} is not a date (YYYY-MM-DD)") from None


class Command(TouchstoneCommand):
    help = "Write a progress report, superbill or payer outcome report as PDF."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="kind", required=True)
        for name in ("progress", "superbill"):
            p = sub.add_parser(name)
            p.add_argument("client_id", type=int)
            p.add_argument("--out", required=True, type=Path)
            p.add_argument("--episode", type=int, default=None)
            self.add_clinic_argument(p)
        p = sub.add_parser("payer")
        p.add_argument("--start", required=True)
        p.add_argument("--end", required=True)
        p.add_argument("--out", required=True, type=Path)
        self.add_clinic_argument(p)
        p = sub.add_parser("measures", help="HEDIS DMS-E, DRR-E and CMS159 of the clinic")
        p.add_argument("--start", required=True)
        p.add_argument("--end", required=True)
        p.add_argument("--format", choices=("json", "csv", "fhir"), default="json")
        p.add_argument("--out", type=Path, default=None, help="file (default: standard output)")
        self.add_clinic_argument(p)

    def _measures(self, clinic: Any, options: dict[str, Any]) -> str:
        start, end = _date(options["start"]), _date(options["end"])
        if end < start:
            raise bad("the period's end must follow its start")
        # The measures bring the science core's statistics (scipy): loaded for them only.
        from touchstone.outcomes.quality import quality_measures

        report = quality_measures(clinic, start, end)
        record(
            self.actor_for(clinic),
            Action.EXPORT,
            object_type="outcomes.quality",
            detail=f"quality measures {options['format']} {start}..{end}",
        )
        return _serialise(report, options["format"])

    @as_job("report")
    def handle(self, *args: Any, **options: Any) -> None:
        clinic = self.clinic_for(options["clinic"])
        out: Path | None = options["out"]
        if out is not None and not out.parent.is_dir():
            raise bad(f"{out.parent} is not a directory")
        if options["kind"] == "measures":
            text = self._measures(clinic, options)
            if out is None:
                self.stdout.write(text, ending="")
            else:
                out.write_text(text, encoding="utf-8")
                self.stdout.write(f"{out} ({len(text.encode()):,} bytes)")
            return
        assert out is not None  # required by the other subcommands' parsers
        actor = self.actor_for(clinic)
        kind = options["kind"]
        try:
            if kind == "progress":
                client = client_of(clinic, options["client_id"])
                report = build_progress_report(
                    clinic,
                    client,
                    episode_id=options["episode"],
                    with_diagnoses=True,
                    with_alert_details=True,
                    prepared_by=clinic.name,
                    prepared_role="command line",
                )
                pdf = render_pdf("reports/progress_pdf.html", {"r": report})
                record(actor, Action.EXPORT, client, detail="progress report pdf")
            elif kind == "superbill":
                client = client_of(clinic, options["client_id"])
                bill = build_superbill(clinic, client, episode_id=options["episode"])
                pdf = render_pdf("reports/superbill_pdf.html", {"bill": bill})
                record(actor, Action.EXPORT, client, detail="superbill pdf")
            else:
                start, end = _date(options["start"]), _date(options["end"])
                if end < start or end > timezone.localdate() + dt.timedelta(days=366):
                    raise bad("the period's end must follow its start")
                # The payer report's statistics bring pandas and scipy: loaded for it only,
                # so the progress report and superbill start without them (issue 11 §2).
                from touchstone.reports.payer import build_payer_report
                from touchstone.reports.payer_measures import payer_measures

                rep = build_payer_report(clinic, start, end)
                quality = payer_measures(None, rep)
                pdf = render_pdf("reports/payer_pdf.html", {"rep": rep, "quality": quality})
                record(actor, Action.EXPORT, object_type="reports.payer", detail="payer report pdf")
        except SuperbillError as error:
            raise bad(" ".join(error.problems)) from None
        except ReportError as error:
            raise bad(str(error)) from None
        out.write_bytes(pdf)
        self.stdout.write(f"{out} ({len(pdf):,} bytes)")


def _serialise(report: QualityReport, fmt: str) -> str:
    """The report as JSON (counts), CSV (one row per rate) or a FHIR Bundle of
    MeasureReports; counts only, never a client."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    if fmt == "fhir":
        return json.dumps(report.bundle(), indent=2) + "\n"
    return report.csv_text()
