"""Read-only queries for pages that summarise many clients, and measures' panel of the
client record (fixed query counts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Max, Q, Window
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from touchstone.accounts.models import StaffMember
from touchstone.care.models import Episode
from touchstone.care.plans import instruments_due
from touchstone.clients.models import Client
from touchstone.instruments.templatetags.instrument_tags import instrument_name
from touchstone.lib.urls import fixed_url
from touchstone.lib.wall_clock import local_minutes
from touchstone.measures.instruments import instrument, short_name
from touchstone.measures.models import Administration, RiskAlert, Status
from touchstone.measures.progress import Series, client_series
from touchstone.science.change_batch import CLASSES, change_batch
from touchstone.science.episodes import episode_pairs

#: Instruments whose reliable deterioration puts a client on the home page.
WATCHED = ("phq9", "gad7", "who5", "phq15")


@dataclass(frozen=True)
class AlertLine:
    """What the home page shows of an open risk alert: whose, when, who handles it ("" when
    nobody has taken it yet)."""

    pk: int
    client_name: str
    raised_at: dt.datetime
    handler: str


@dataclass(frozen=True)
class OpenAlerts:
    """The clinic's open risk alerts: how many, and the newest few as :class:`AlertLine` s."""

    count: int
    newest: list[AlertLine]


_ALERT_LINE_FIELDS = (
    "pk", "raised_at", "client__given_name", "client__preferred_name", "client__family_name",
    "assigned_to__user__first_name", "assigned_to__user__last_name",
    "assigned_to__user__username",
)  # fmt: skip


def open_alerts(member: StaffMember, *, limit: int) -> OpenAlerts:
    """The clinic's open risk alerts, newest first: their number and the first ``limit``, in
    one query of plain rows whatever their number (the count rides on each row as a window
    over all of them). Read afresh on every call: an alert must show the moment it is raised.
    """
    rows = list(
        RiskAlert.objects.for_member(member)
        .open()
        .annotate(total=Window(Count("pk")))
        .order_by("-raised_at", "-id")
        .values_list(*_ALERT_LINE_FIELDS, "total")[:limit]
    )
    newest = [
        AlertLine(pk, Client.name_of(given, preferred, family), raised_at,
                  "" if username is None else StaffMember.name_of(first, last, username))
        for pk, raised_at, given, preferred, family, first, last, username, _total in rows
    ]  # fmt: skip
    return OpenAlerts(rows[0][-1] if rows else 0, newest)


def no_clinician(member: StaffMember) -> bool:
    """Whether ``member``'s clinic has no clinician to take its risk alerts
    (``Clinic.has_clinician``), so an untaken alert's "a clinician (not yet taken)" would
    mislead. False without a query for a member who may handle alerts (a clinician of the
    clinic); one query otherwise: ask only when an untaken alert is shown, or for the owner's
    notice to invite one."""
    return not member.can("alerts.handle") and not member.clinic.has_clinician()


def client_open_alerts(member: StaffMember, client: Client) -> list[RiskAlert]:
    """The client's open risk alerts, oldest first, with who handles each: one query,
    reading what the client page shows of them (when, why, who handles it)."""
    return list(
        RiskAlert.objects.for_member(member)
        .open()
        .filter(client_id=client.pk)
        .select_related("assigned_to__user")
        .only("raised_at", "reason", "assigned_to__user__first_name",
              "assigned_to__user__last_name", "assigned_to__user__username")
        .order_by("raised_at", "id")
    )  # fmt: skip


@dataclass(frozen=True)
class LatestScores:
    """The Overview's latest scores: each instrument's series, and ``needs_episode``: there
    are scores but no episode of care to judge their change in (the page says how to open
    one)."""

    series: list[Series]
    needs_episode: bool


def latest_scores(member: StaffMember, client: Client) -> LatestScores:
    """The client's scores per instrument with their change against the episode's baseline,
    as ``questionnaire_progress(...).series`` (the same ``client_series``): the Overview's
    latest scores. Two queries (one without scores), reading only the completed
    administrations' score columns (no answers, no one who gave them)."""
    scores = list(
        Administration.objects.for_member(member)
        .completed()
        .filter(client_id=client.pk)
        .only("instrument_id", "total", "severity", "started_at", "completed_at")
        .order_by()  # client_series orders them
    )
    if not scores:
        return LatestScores([], needs_episode=False)
    episodes = list(
        Episode.objects.for_member(member)
        .filter(client_id=client.pk)
        .values_list("started_on", "ended_on")
    )
    series = client_series(scores, episodes, criteria=member.clinic.change_criteria)
    return LatestScores(series, needs_episode=bool(series) and not episodes)


def plan_due_ids(member: StaffMember, client: Client, today: dt.date) -> list[str]:
    """The instruments the client's open episodes' plans make due by ``today`` (intake and
    periodic: ``care.plans.instruments_due``), most overdue first: what the questionnaire and
    private-link forms pre-select. Two queries. The per-visit instruments are left to the
    visit's own link (``portal.delivery``) and the home page's due list."""
    episodes = list(
        Episode.objects.for_member(member).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=today),
            client_id=client.pk,
            started_on__lte=today,
        )
    )
    if not episodes:
        return []
    last = {
        instrument_id: timezone.localdate(when)
        for instrument_id, when in Administration.objects.for_member(member)
        .completed()
        .filter(client_id=client.pk, completed_at__isnull=False)
        .values("instrument_id")
        .annotate(last=Max("completed_at"))
        .values_list("instrument_id", "last")
        .order_by()
    }
    due: dict[str, int] = {}
    for episode in episodes:
        completed = {k: v for k, v in last.items() if v >= episode.started_on}
        for item in instruments_due(episode, today, completed):
            due[item.instrument_id] = max(due.get(item.instrument_id, 0), item.days_overdue)
    return sorted(due, key=lambda i: (-due[i], i))


@dataclass(frozen=True)
class Deterioration:
    """A client reliably worse than their episode's baseline (``outcomes.summaries`` keeps
    the list)."""

    client: Client
    instrument_id: str
    baseline: int
    latest: int


def reliably_deteriorated(member: StaffMember) -> list[Deterioration]:
    """Active clients whose follow-up in an open episode of care is reliably worse than the
    episode's baseline (``science.episodes``: the one baseline, at least one recall period
    apart), under the clinic's change criteria. Three queries: episodes, scores, clients.

    The home page reads the same list from the stored summaries (``outcomes.summaries``,
    kept current after each score); this live computation is their reference."""
    today = timezone.localdate()
    episodes = list(
        Episode.objects.for_member(member)
        .filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=today),
            started_on__lte=today,
            client__archived_at__isnull=True,
        )
        .values_list("client_id", "started_on", "ended_on")
    )
    if not episodes:
        return []
    rows = list(
        Administration.objects.for_member(member)
        .completed()
        .filter(
            instrument_id__in=WATCHED,
            total__isnull=False,
            client_id__in={client_id for client_id, _, _ in episodes},
        )
        .order_by("completed_at", "pk")
        .values_list("client_id", "instrument_id", "total", "completed_at")
    )
    criteria = member.clinic.change_criteria
    e_client = [client_id for client_id, _, _ in episodes]
    e_start = np.array([start for _, start, _ in episodes], dtype="datetime64[D]")
    e_end = np.array([end for _, _, end in episodes], dtype="datetime64[D]")
    found: list[tuple[int, str, int, int]] = []
    for instrument_id in WATCHED:
        mine = [r for r in rows if r[1] == instrument_id]
        if not mine:
            continue
        definition = instrument(instrument_id)
        pairs = episode_pairs(
            e_client, e_start, e_end,
            [r[0] for r in mine], local_minutes(r[3] for r in mine),
            np.array([r[2] for r in mine], dtype=float),
            min_days=definition.min_followup_days, until=np.datetime64(today, "D"),
        )  # fmt: skip
        paired = np.flatnonzero(pairs.paired)
        batch = change_batch(definition, pairs.pre[paired], pairs.post[paired], criteria=criteria)
        worse = batch.classification == CLASSES.index("deteriorated")
        for e in paired[worse].tolist():
            found.append((e_client[e], instrument_id, int(pairs.pre[e]), int(pairs.post[e])))
    clients = Client.objects.for_member(member).in_bulk({f[0] for f in found})
    seen: set[tuple[int, str]] = set()
    out = []
    for client_id, instrument_id, baseline, latest in found:
        if client_id in clients and (client_id, instrument_id) not in seen:
            seen.add((client_id, instrument_id))  # overlapping episodes: listed once
            out.append(Deterioration(clients[client_id], instrument_id, baseline, latest))
    return out


@dataclass(frozen=True)
class Due:
    """A questionnaire a plan makes due (``outcomes.summaries`` keeps the list)."""

    client: Client
    episode_id: int
    instrument_id: str
    reason: str
    days_overdue: int
    #: How far the link the plan sent for it got (``portal.selectors.DeliveryState``), or None
    #: when none was sent; set by ``outcomes.summaries.questionnaires_due``.
    delivery: Any = None

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


@dataclass(frozen=True)
class QuestionnaireProgress:
    """Measures' panel on the progress page: each instrument's scores against the baseline,
    the questionnaires still being filled, and every administration (newest first), each a
    link to its answers, score, band, version and who gave it. ``episodes`` (id, first day,
    last day, newest first) are the client's episodes of care the series were placed in:
    the page's other panels take them and the administrations instead of reading them
    again."""

    series: list[Series]
    in_progress: list[Administration]
    administrations: list[Administration]
    episodes: list[tuple[int, dt.date, dt.date | None]]

    @property
    def needs_episode(self) -> bool:
        """Scores but no episode of care to judge their change in: the page says how to open
        one."""
        return bool(self.series) and not self.episodes

    @property
    def administration_rows(self) -> SafeString:
        """The rows of the table of every administration (measures/_administrations.html),
        built in one pass: through the template engine they were a tenth of the page."""
        return format_html_join(
            "", _ADMINISTRATION_ROW, _administration_cells(self.administrations)
        )


_ADMINISTRATION_ROW = (
    '<tr><th scope="row">{0}</th><td data-label="Questionnaire">{1}</td>'
    '<td data-label="Version">{2} ({3})</td><td data-label="Given by">{4}</td>'
    '<td data-label="Status">{5}</td><td data-label="Score">{6}</td>'
    '<td data-label="Severity">{7}</td><td class="stack-action"><a href="{8}">Answers'
    '<span class="sr-only"> to {1}, {0}</span></a></td></tr>'
)


def _administration_cells(administrations: list[Administration]) -> Iterator[tuple[object, ...]]:
    """Each row's cells. What is the same on every row is looked up once: an instrument's
    name (a clinic's own questionnaire's is a query), the status labels; the answers' URL is
    reversed once per process (``fixed_url``)."""
    names: dict[str, str] = {}
    statuses = dict(Status.choices)
    for a in administrations:
        if a.instrument_id not in names:
            names[a.instrument_id] = instrument_name(a.instrument_id)
        if a.total is not None:
            score: object = a.total
        else:
            score = "not computable" if a.status == Status.COMPLETED else "—"
        yield (
            timezone.localtime(a.when).strftime("%Y-%m-%d %H:%M"),
            names[a.instrument_id],
            a.instrument_version or "—",
            a.language,
            a.given_by,
            statuses.get(a.status, a.status),
            score,
            a.severity or "—",
            fixed_url("measures:result", a.pk),
        )


#: What the progress page shows of an administration, and who gave it (``given_by``).
_LISTED = (
    "client",
    "instrument_id",
    "instrument_version",
    "language",
    "mode",
    "status",
    "total",
    "severity",
    "started_at",
    "completed_at",
    "created_by__user__first_name",
    "created_by__user__last_name",
    "created_by__user__username",
)


def questionnaire_progress(member: StaffMember, client: Client) -> QuestionnaireProgress:
    """Two queries: the administrations and the client's episodes of care. Only the listed
    fields are read (``_LISTED``): the answers and the engine's full result are read on an
    administration's own page, and parsing two JSON documents per row was most of a row's
    cost."""
    rows = list(
        Administration.objects.for_member(member)
        .filter(client=client)
        .select_related("created_by__user")
        .only(*_LISTED)
        .order_by("-started_at", "-id")
    )
    episodes = list(
        Episode.objects.for_member(member)
        .filter(client=client)
        .values_list("id", "started_on", "ended_on")
    )
    return QuestionnaireProgress(
        series=client_series(
            [a for a in rows if a.status == Status.COMPLETED],
            [(start, end) for _, start, end in episodes],
            criteria=member.clinic.change_criteria,
        ),
        in_progress=[a for a in rows if a.status == Status.IN_PROGRESS],
        administrations=rows,
        episodes=episodes,
    )
