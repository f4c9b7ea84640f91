"""Read-only queries for pages that summarise many clients (fixed query counts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration, RiskAlert
from touchstone.science.instruments import change

#: Instruments whose reliable deterioration puts a client on the home page.
WATCHED = ("phq9", "gad7", "who5", "phq15")


def open_alerts(member: StaffMember) -> list[RiskAlert]:
    return list(
        RiskAlert.objects.for_member(member)
        .open()
        .select_related("client", "assigned_to__user", "administration")
    )


@dataclass(frozen=True)
class Deterioration:
    client: Client
    instrument_id: str
    baseline: int
    latest: int


def reliably_deteriorated(member: StaffMember) -> list[Deterioration]:
    """Active clients whose latest score is reliably worse than their first (two queries)."""
    rows = (
        Administration.objects.for_member(member)
        .completed()
        .filter(instrument_id__in=WATCHED, total__isnull=False, client__archived_at__isnull=True)
        .order_by("completed_at", "pk")
        .values_list("client_id", "instrument_id", "total")
    )
    first: dict[tuple[int, str], int] = {}
    last: dict[tuple[int, str], int] = {}
    for client_id, instrument_id, total in rows:
        assert total is not None  # filtered above
        first.setdefault((client_id, instrument_id), total)
        last[(client_id, instrument_id)] = total
    worse: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for key, baseline in first.items():
        latest = last[key]
        if latest == baseline:
            continue
        if change(instrument(key[1]), pre=baseline, post=latest).reliable_change == "deteriorated":
            worse[key[0]].append((key[1], baseline, latest))
    clients = Client.objects.for_member(member).in_bulk(list(worse))
    return [
        Deterioration(clients[client_id], instrument_id, baseline, latest)
        for client_id, found in worse.items()
        if client_id in clients
        for instrument_id, baseline, latest in found
    ]
