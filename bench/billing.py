"""Benchmark: statements and the access report of a clinic of 10,000 clients.

Builds a throw-away SQLite database (``--db``, default a temporary file) with one clinic of
``--clients`` clients, each with an episode, weekly visits and fortnightly PHQ-9 and GAD-7
totals (``outcomes.tests.factories.build_outcomes``), the default fee tiers with a tier
assessment for 70 % of the clients, and a ledger of ``--entries`` entries per client (charges
and payments, bulk-inserted; the ledger's rules are tested in billing/tests, not here). Then:

* statements of every client for the last 90 days (``billing.selectors.statements``: opening
  balance, lines, closing balance), with the number of SQL queries;
* the access report (``billing.access_report.access_report``): the first view, which computes
  and stores the outcomes by tier; the median of ``--repeat`` views that read them; and the
  recomputation the summaries job runs after a change; wall and CPU time, with its queries.

Run: ``.venv/bin/python bench/billing.py``. Results go in docs/benchmarks.md; nothing is
asserted (timings belong here, never in the test suite).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--skip-statements", action="store_true")
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "bench-billing.sqlite3"
    if db.exists():
        db.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from touchstone.accounts.models import Clinic
    from touchstone.accounts.roles import Role
    from touchstone.audit.actor import Actor
    from touchstone.billing.access_report import access_report, refresh_access_outcomes
    from touchstone.billing.actions import do_install_default_tiers
    from touchstone.billing.models import Entry, FeeTier, TierAssessment
    from touchstone.billing.selectors import statements
    from touchstone.clients.models import Client
    from touchstone.conftest import make_member
    from touchstone.outcomes.tests.factories import build_outcomes

    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench clinic", slug="bench")
    owner = make_member(clinic, "owner", Role.OWNER)
    therapists = [make_member(clinic, f"therapist{i}", Role.THERAPIST) for i in range(4)]
    started = time.perf_counter()
    build_outcomes(clinic, therapists, args.clients, seed=1)
    tiers = do_install_default_tiers(Actor.system("cli", clinic))
    rng = random.Random(1)
    today = timezone.localdate()
    clients = list(Client.objects.filter(clinic=clinic).values_list("pk", flat=True))
    TierAssessment.objects.bulk_create(
        TierAssessment(
            clinic=clinic, client_id=pk, household_size=2, annual_income=Decimal(20000),
            verification="document", assessed_by=owner, assessed_on=today,
            review_on=today + dt.timedelta(days=365), guideline_year=2026,
            percent_of_guideline=Decimal(92), tier=rng.choice(tiers),
        )
        for pk in clients
        if rng.random() < 0.7
    )  # fmt: skip
    now = timezone.now()
    rows = []
    for pk in clients:
        for i in range(args.entries):
            charge = i % 2 == 0
            rows.append(
                Entry(
                    clinic=clinic, client_id=pk, kind="charge" if charge else "payment",
                    delta=Decimal("95.00") if charge else Decimal("-80.00"),
                    posted_at=now - dt.timedelta(days=7 * (args.entries - i)),
                    basis="full" if charge else "", method="" if charge else "card",
                    description="Swedish massage 60" if charge else "Card terminal",
                )
            )  # fmt: skip
    Entry.objects.bulk_create(rows, batch_size=5000)
    print(
        f"built {len(clients)} clients, {len(rows)} entries, "
        f"{FeeTier.objects.count()} tiers in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    def timed(run: Any) -> tuple[float, float, int, Any]:
        """(wall s, CPU s, queries, result) of one call."""
        connection.queries_log.clear()  # the build filled it: counts would read 0
        t0, c0 = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as ctx:
            result = run()
        return time.perf_counter() - t0, time.process_time() - c0, len(ctx), result

    def median_of(run: Any) -> tuple[str, int, Any]:
        runs = [timed(run) for _ in range(args.repeat)]
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        text = (
            f"median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max "
            f"{max(walls):.2f}), CPU median {statistics.median(cpus):.2f} s"
        )
        return text, runs[-1][2], runs[-1][3]

    print(f"load average before measuring: {os.getloadavg()}", file=sys.stderr)
    if not args.skip_statements:
        text, queries, result = median_of(
            lambda: statements(clinic, now - dt.timedelta(days=90), now + dt.timedelta(days=1))
        )
        lines = sum(len(s.lines) for s in result.values())
        print(f"statements: {len(result)} clients, {lines} lines; {text}; {queries} queries")

    # The outcomes by tier are stored (billing.models.AccessSummary): the first report
    # computes and stores them, later ones read them; the summaries job recomputes them
    # after a change.
    wall, cpu, queries, report = timed(lambda: access_report(clinic))
    print(
        f"access report, first view (computes and stores the outcomes): {wall:.2f} s, "
        f"CPU {cpu:.2f} s; {queries} queries"
    )
    text, queries, report = median_of(lambda: access_report(clinic))
    rows = len(report.rows)
    print(f"access report, stored outcomes: {rows} tier rows; {text}; {queries} queries")
    wall, cpu, _, _ = timed(lambda: refresh_access_outcomes(clinic))
    print(f"recomputing the stored outcomes (the summaries job): {wall:.2f} s, CPU {cpu:.2f} s")
    print(f"load average after measuring: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
