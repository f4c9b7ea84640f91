"""Benchmark: reports and exports on the demo clinic (issue 7, point 1: progress report < 2 s).

Run by hand: ``.venv/bin/python bench/report_progress.py``. Builds the 200-client demo clinic
in a throw-away SQLite file (``DATABASE_URL`` is set to a temporary path unless given), then
times, for the demo client with the most sessions: the progress report PDF (the first, "cold",
render in the process, which loads WeasyPrint and the fonts, and the median of 5 warm ones),
its HTML body, the superbill PDF, the FHIR Bundle (every resource validated), the payer report
PDF for 26 weeks, and the de-identified research export of the whole clinic; plus the query
count of the progress report.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _time(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float]:
    cold_start = time.perf_counter()
    fn()
    cold = time.perf_counter() - cold_start
    warm = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - start)
    return cold, statistics.median(warm)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="touchstone-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from touchstone.clients.demo import build_demo_clinic
    from touchstone.clients.models import Client
    from touchstone.interop.fhir_export import client_bundle
    from touchstone.interop.research import export_research
    from touchstone.reports.payer import build_payer_report
    from touchstone.reports.pdf import render_pdf
    from touchstone.reports.progress import build_progress_report
    from touchstone.reports.superbill import build_superbill

    start = time.perf_counter()
    context = build_demo_clinic(seed=1)
    print(f"demo clinic built in {time.perf_counter() - start:.1f} s")
    assert context is not None
    clinic = context.clinic
    client = (
        Client.objects.filter(clinic=clinic, episodes__diagnoses__isnull=False)
        .annotate(n=Count("visits", distinct=True))
        .order_by("-n", "pk")
        .first()
    )
    assert client is not None

    def progress() -> Any:
        return build_progress_report(
            clinic, client, with_diagnoses=True, prepared_by="Bench", prepared_role="Clinician"
        )

    report = progress()
    with CaptureQueriesContext(connection) as queries:
        progress()
    print(
        f"client {client.pk}: {len(report.sessions)} sessions, "
        f"{sum(len(s.points) for s in report.series)} scores, {len(queries)} queries"
    )
    rows = [
        ("progress report PDF", lambda: render_pdf("reports/progress_pdf.html", {"r": progress()})),
        (
            "progress report HTML body",
            lambda: render_to_string("reports/_progress_body.html", {"r": progress()}),
        ),
        (
            "superbill PDF",
            lambda: render_pdf(
                "reports/superbill_pdf.html", {"bill": build_superbill(clinic, client)}
            ),
        ),
        ("FHIR Bundle (validated)", lambda: client_bundle(clinic, client, with_diagnoses=True)),
    ]  # fmt: skip
    today = timezone.localdate()
    rows.append(
        (
            "payer report PDF, 26 weeks",
            lambda: render_pdf(
                "reports/payer_pdf.html",
                {"rep": build_payer_report(clinic, today - timezone.timedelta(weeks=26), today)},
            ),
        )
    )
    rows.append(
        ("research export, whole clinic", lambda: export_research(clinic, tmp / "research"))
    )
    print("| document | first in process | median of 5 after |")
    print("| --- | ---: | ---: |")
    for name, fn in rows:
        cold, warm = _time(fn)
        print(f"| {name} | {cold * 1000:.0f} ms | {warm * 1000:.0f} ms |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
