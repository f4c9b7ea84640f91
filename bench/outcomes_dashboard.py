"""Benchmark: the clinic outcomes dashboard on a clinic of 10,000 clients.

Builds a throw-away SQLite database (``--db``, default a temporary file) with one clinic of
``--clients`` clients, each with an episode, 1-14 completed visits and five fortnightly PHQ-9
and GAD-7 totals (``touchstone.outcomes.tests.factories.build_outcomes``: bulk inserts; the
``touchstone demo`` command builds the same shape of data but with names, intakes, screens
and histories, which takes minutes at this size). Then, through Django's test client:

* the first dashboard view (fits and stores the PHQ-9 and GAD-7 trajectory models),
* the median of ``--repeat`` warm views of ``/outcomes/`` and ``/outcomes/research/``,
* the number of SQL queries of a warm view,
* the trajectory fit on the clinic's data (``outcomes.trajectories.fit_model``).

Run: ``.venv/bin/python bench/outcomes_dashboard.py``. Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "bench-outcomes.sqlite3"
    if db.exists():
        db.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from touchstone.accounts.models import Clinic
    from touchstone.accounts.roles import Role
    from touchstone.conftest import make_member
    from touchstone.outcomes.tests.factories import build_outcomes
    from touchstone.outcomes.trajectories import fit_model

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(name="Bench clinic", slug="bench")
    owner = make_member(clinic, "owner", Role.OWNER)
    researcher = make_member(clinic, "researcher", Role.RESEARCHER)
    therapists = [make_member(clinic, f"therapist{i}", Role.THERAPIST) for i in range(4)]
    started = time.perf_counter()
    build_outcomes(clinic, therapists, args.clients, seed=1)
    print(f"built {args.clients} clients in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    fits = []
    for instrument_id in ("phq9", "gad7"):
        t0 = time.perf_counter()
        model, _data = fit_model(clinic, instrument_id)
        fits.append(time.perf_counter() - t0)
        print(
            f"trajectory fit {instrument_id}: {fits[-1]:.2f} s incl. query "
            f"({model.fit.n_groups} clients, {model.fit.n_obs} follow-ups)"
        )

    for member, url in ((owner, "/outcomes/"), (researcher, "/outcomes/research/")):
        http = HttpClient()
        http.force_login(member.user)
        t0 = time.perf_counter()
        assert http.get(url).status_code == 200
        first = time.perf_counter() - t0
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                response = http.get(url)
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200
        print(
            f"{url}: first view {first:.2f} s; warm median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f}, max {max(times):.2f}); {len(ctx.captured_queries)} queries"
        )


if __name__ == "__main__":
    main()
