"""Keep the query planner's statistics current on SQLite.

Without statistics, SQLite's planner deems every index equally selective: for a client's
rows in a one-clinic database (``WHERE clinic_id = ? AND client_id = ? ORDER BY id``) it may
take the clinic's index and read every row of the clinic: 0.3 s for one client's API list of
administrations at 10,000 clients, against a few milliseconds through the client's index
(bench/pages.py). ``ANALYZE`` (sampled with ``analysis_limit``, about 0.15 s there) fixes the
plan; ``touchstone refresh-summaries`` runs it on each pass and the demo after it is built.
PostgreSQL's autovacuum keeps its own statistics, so nothing is done there.
"""

from __future__ import annotations

from django.db import connections

#: Rows sampled per index (SQLite's recommended range is 100-1000).
ANALYSIS_LIMIT = 400


def refresh_planner_statistics(using: str = "default") -> bool:
    """Run a sampled ``ANALYZE`` on SQLite; returns whether anything was done."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("ANALYZE")
    return True
