"""Read-only queries for pages that summarise many clients, and measures' panel of the
client record (fixed query counts)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max, Q
from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.care.models import Episode, Visit
from touchstone.care.plans import instruments_due
from touchstone.care.selectors import day_bounds
from touchstone.clients.models import Client
from touchstone.measures.instruments import instrument, short_name
from touchstone.measures.models import Administration, RiskAlert, Status
from touchstone.measures.progress import Series, client_series
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


@dataclass(frozen=True)
class Due:
    client: Client
    episode_id: int
    instrument_id: str
    reason: str
    days_overdue: int

    @property
    def name(self) -> str:
        return short_name(self.instrument_id)

    @property
    def why(self) -> str:
        return {
            "intake": "at intake",
            "periodic": "periodic, by the plan",
            "session": "at today's visit",
        }.get(self.reason, self.reason)


def questionnaires_due(member: StaffMember, today: dt.date) -> list[Due]:
    """Questionnaires the open episodes' measurement plans make due today (three queries)."""
    episodes = list(
        Episode.objects.for_member(member)
        .filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=today),
            started_on__lte=today,
            client__archived_at__isnull=True,
        )
        .select_related("client")
    )
    if not episodes:
        return []
    client_ids = {e.client_id for e in episodes}
    last = (
        Administration.objects.for_member(member)
        .completed()
        .filter(client_id__in=client_ids)
        .values("client_id", "instrument_id")
        .annotate(last=Max("completed_at"))
    )
    done: dict[int, dict[str, dt.date]] = defaultdict(dict)
    for row in last:
        done[row["client_id"]][row["instrument_id"]] = timezone.localtime(row["last"]).date()
    start, end = day_bounds(today)
    visiting = set(
        Visit.objects.for_member(member)
        .filter(client_id__in=client_ids, starts_at__gte=start, starts_at__lt=end)
        .exclude(status="cancelled")
        .values_list("client_id", flat=True)
    )
    due = []
    for episode in episodes:
        completed = {k: v for k, v in done[episode.client_id].items() if v >= episode.started_on}
        for item in instruments_due(
            episode, today, completed, visit_today=episode.client_id in visiting
        ):
            due.append(
                Due(episode.client, episode.pk, item.instrument_id, item.reason, item.days_overdue)
            )
    return sorted(due, key=lambda d: (-d.days_overdue, d.client.family_name))


@dataclass(frozen=True)
class QuestionnaireProgress:
    """Measures' panel on the progress page: each instrument's scores against the baseline,
    the questionnaires still being filled, and every administration (newest first), each a
    link to its answers, score, band, version and who gave it."""

    series: list[Series]
    in_progress: list[Administration]
    administrations: list[Administration]


def questionnaire_progress(member: StaffMember, client: Client) -> QuestionnaireProgress:
    """One query for the administrations."""
    rows = list(
        Administration.objects.for_member(member)
        .filter(client=client)
        .select_related("created_by__user")
        .order_by("-started_at", "-id")
    )
    return QuestionnaireProgress(
        series=client_series([a for a in rows if a.status == Status.COMPLETED]),
        in_progress=[a for a in rows if a.status == Status.IN_PROGRESS],
        administrations=rows,
    )
