"""SQLite reads a client's rows through the client's index once statistics exist."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from touchstone.clients.models import Client
from touchstone.conftest import Cast
from touchstone.lib.planner import refresh_planner_statistics
from touchstone.measures.models import Administration, Mode, Status

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")


def _plan(client_id: int) -> str:
    rows = Administration.objects.filter(clinic_id=1, client_id=client_id).order_by("pk")[:51]
    return str(rows.explain())


def test_a_clients_rows_are_read_through_the_client_index_after_analyze(cast: Cast):
    clients = Client.objects.bulk_create(
        Client(
            clinic=cast.harbour,
            given_name=f"C{i}",
            family_name="Synthetic",
            date_of_birth=dt.date(1980, 1, 1),
        )
        for i in range(300)
    )
    when = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
    Administration.objects.bulk_create(
        Administration(
            clinic=cast.harbour,
            client=c,
            instrument_id="phq9",
            mode=Mode.CLINIC,
            status=Status.COMPLETED,
            total=5,
            computable=True,
            started_at=when,
            completed_at=when,
        )
        for c in clients
        for _ in range(3)
    )
    assert "client_id" not in _plan(clients[7].pk).split("USING INDEX")[-1].split("(")[0]
    assert refresh_planner_statistics()
    assert "client_id" in _plan(clients[7].pk).split("USING INDEX")[-1].split("(")[0]
