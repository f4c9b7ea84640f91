"""Keep the query planner's statistics current on SQLite.

Without statistics, SQLite's planner deems every index equally selective: for a client's
rows in a one-clinic database (``WHERE clinic_id = ? AND client_id = ? ORDER BY id``) it may
take the clinic's index and read every row of the clinic: 0.3 s for one client's API list of
administrations at 10,000 clients, against a few milliseconds through the client's index
(bench/pages.py). ``ANALYZE`` (sampled with ``analysis_limit``, about 0.15 s there) fixes the
plan; ``touchstone refresh-summaries`` runs it on each pass and the demo after it is built.
PostgreSQL's autovacuum keeps its own statistics, so nothing is done there.

The whole tables are read, not a sample: ``PRAGMA analysis_limit`` samples the first rows of
each index, which misjudges an index led by a column of few values. At 10,000 clients a
sample of 400 (or 4,000) rows rated ``(therapist, signed_at, starts_at)`` no better than
``(clinic, starts_at)``, so the home page's overdue-notes query read all 100,000 visits of the
clinic (230 ms) instead of the therapist's few (under 1 ms). A full ``ANALYZE`` of that
database takes about 0.5 s (bench/pages.py notes, docs/benchmarks.md).
"""

from __future__ import annotations

from django.db import connections


def refresh_planner_statistics(using: str = "default") -> bool:
    """Run ``ANALYZE`` on SQLite; returns whether anything was done."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=0")  # no limit: see the module's docstring
        cursor.execute("ANALYZE")
    return True
