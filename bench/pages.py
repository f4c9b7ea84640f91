"""Benchmark: server time per page and API list for one user, in-process (issue 11 §2, goal a).

Runs against a database that holds the demo clinic (``touchstone demo --clients 10000``, see
bench/load/run.py), through Django's test client signed in as the owner (olivia) and the
clinician (casey), with the API as the clinician's token. For each page: one warm-up view,
then ``--repeat`` views; prints the median wall time and CPU time (``time.process_time``:
steadier than wall time on a shared machine), and the SQL queries of one view. The goal is a
median of at most 50 ms per page, home page and outcomes dashboard included.

Run: ``TOUCHSTONE_VAR_DIR=/tmp/bench .venv/bin/python bench/pages.py`` (add
``DATABASE_URL=...`` for PostgreSQL). Results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
    os.environ.setdefault("TOUCHSTONE_MODE", "demo")
    from touchstone.lib.threads import limit_blas_threads

    limit_blas_threads()  # as the web workers do
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from touchstone.accounts.models import StaffMember
    from touchstone.clients.models import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    clients = Client.objects.filter(clinic__slug="demo")
    n = clients.count()
    some = list(clients.order_by("?").values_list("pk", flat=True)[:5])
    print(f"{connection.vendor}, demo clinic of {n:,} clients")
    import io

    out = io.StringIO()
    call_command("token", "casey", stdout=out)
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip().splitlines()[-1]}")
    pages = [
        ("home", "/"),
        ("client list", "/clients/"),
        ("client search", "/clients/?q=an"),
        ("client page", "/clients/{id}/"),
        ("progress page", "/clients/{id}/progress/"),
        ("outcomes dashboard", "/outcomes/"),
        ("deteriorated (full list)", "/outcomes/deteriorated/"),
    ]
    api_lists = [
        ("API clients", "/api/v1/clients/"),
        ("API administrations", "/api/v1/administrations"),
        ("API a client's administrations", "/api/v1/administrations?client_id={id}"),
        ("API visits", "/api/v1/care/clients/{id}/visits"),
    ]
    print("\n| who | page | median ms | median CPU ms | queries |")
    print("| --- | --- | ---: | ---: | ---: |")
    for username in ("olivia", "casey"):
        http = HttpClient()
        http.force_login(StaffMember.objects.get(user__username=username).user)
        _measure(username, http, pages, some, args.repeat, CaptureQueriesContext, connection)
    _measure("API (casey)", api, api_lists, some, args.repeat, CaptureQueriesContext, connection)


def _measure(who, http, pages, ids, repeat, capture, connection) -> None:  # type: ignore[no-untyped-def]
    for name, template in pages:
        walls, cpus = [], []
        for i in range(repeat + 1):
            url = template.format(id=ids[i % len(ids)])
            wall, cpu = time.perf_counter(), time.process_time()
            response = http.get(url)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
            if i:  # the first is the warm-up
                walls.append(wall * 1000)
                cpus.append(cpu * 1000)
        with capture(connection) as queries:
            http.get(template.format(id=ids[0]))
        print(
            f"| {who} | {name} | {statistics.median(walls):.0f} | "
            f"{statistics.median(cpus):.0f} | {len(queries)} |"
        )


if __name__ == "__main__":
    main()
