"""Read helpers for other pages (home, the client record's client and progress pages). Each
issues a fixed number of queries, whatever the number of rows (tested).

``client_care_summary`` and ``massage_progress`` are care's panels of the client record
(``touchstone.record``): what the client page and the progress page show of care."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from touchstone.accounts.models import StaffMember
from touchstone.care import charts, plans
from touchstone.care.models import (
    RATINGS,
    ContraindicationScreen,
    Diagnosis,
    Episode,
    Intake,
    Medication,
    Modality,
    Visit,
    VisitStatus,
)
from touchstone.clients.models import POSTPARTUM_WEEKS, Client
from touchstone.instruments import catalogue as instruments
from touchstone.lib.html import table_rows
from touchstone.lib.urls import fixed_url

#: How many overdue unsigned notes the home page lists (the rest are behind a link).
UNSIGNED_SHOWN = 5
#: The home page counts overdue notes up to this many and then says "100+": counting a
#: backlog of 20,000 unsigned notes (each row read for its status) cost 0.3 s per view.
UNSIGNED_COUNTED = 100


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def overdue_unsigned_visits(member: StaffMember, now: dt.datetime) -> QuerySet[Visit]:
    """The member's completed visits whose note is still unsigned ``unsigned_note_hours`` (the
    clinic's setting, default 72) after the visit started, oldest first."""
    cutoff = now - dt.timedelta(hours=member.clinic.unsigned_note_hours)
    return (
        Visit.objects.for_member(member)
        .filter(
            therapist_id=member.pk,
            status=VisitStatus.COMPLETED,
            signed_at__isnull=True,
            starts_at__lt=cutoff,
        )
        .select_related("client")
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class UnsignedNotes:
    """The home page's block: how many notes are overdue (up to ``UNSIGNED_COUNTED``; ``more``
    says there are more), and the oldest few."""

    hours: int
    count: int
    oldest: list[Visit]
    more: bool = False


def unsigned_notes(member: StaffMember, now: dt.datetime) -> UnsignedNotes:
    """Two queries (a bounded count and the oldest ``UNSIGNED_SHOWN``), whatever the number of
    notes."""
    overdue = overdue_unsigned_visits(member, now)
    # What the home page shows of a visit: its time and client (not the notes' text).
    shown = ("starts_at", "client__given_name", "client__preferred_name", "client__family_name")
    oldest = list(overdue.only(*shown)[:UNSIGNED_SHOWN])
    if len(oldest) < UNSIGNED_SHOWN:
        return UnsignedNotes(member.clinic.unsigned_note_hours, len(oldest), oldest)
    count = overdue[: UNSIGNED_COUNTED + 1].count()
    return UnsignedNotes(
        member.clinic.unsigned_note_hours,
        min(count, UNSIGNED_COUNTED),
        oldest,
        more=count > UNSIGNED_COUNTED,
    )


def current_screen(member: StaffMember, client: Client) -> ContraindicationScreen | None:
    """The client's newest contraindication screen (one query), or None: not yet screened."""
    return (
        ContraindicationScreen.objects.for_member(member)
        .filter(client_id=client.pk)
        .order_by("-screened_at", "-id")
        .first()
    )


def has_episode(member: StaffMember, client: Client) -> bool:
    """Whether the client has an episode of care (what progress reports and superbills are
    built on): one query."""
    return Episode.objects.for_member(member).filter(client_id=client.pk).exists()


@dataclass
class CareSummary:
    """What the client record's Chart tab shows of care; fields stay empty when the role may
    not see them."""

    current_screen: ContraindicationScreen | None
    can_view: bool
    can_edit: bool
    can_see_diagnoses: bool
    intake: Intake | None = None
    open_episode: Episode | None = None
    episodes: list[Episode] = field(default_factory=list)
    current_medications: list[Medication] = field(default_factory=list)


def client_care_summary(member: StaffMember, client: Client) -> CareSummary:
    """Current screen, intake, episodes (diagnoses for clinicians) and current medications:
    at most five queries, whatever the number of rows."""
    summary = CareSummary(
        current_screen=current_screen(member, client),
        can_view=member.can("care.view"),
        can_edit=member.can("care.edit"),
        can_see_diagnoses=member.can("diagnoses.view"),
    )
    if not summary.can_view:
        return summary
    summary.intake = Intake.objects.for_member(member).filter(client_id=client.pk).first()
    episodes = Episode.objects.for_member(member).filter(client_id=client.pk)
    if summary.can_see_diagnoses:
        episodes = episodes.prefetch_related(
            Prefetch("diagnoses", queryset=Diagnosis.objects.order_by("entered_at", "id"))
        )
    summary.episodes = list(episodes)
    summary.open_episode = next((e for e in summary.episodes if e.is_open), None)
    today = timezone.localdate()
    summary.current_medications = [
        m
        for m in Medication.objects.for_member(member).filter(client_id=client.pk)
        if m.stopped_on is None or m.stopped_on >= today
    ]
    return summary


def _body_map_rows(completed: Iterable[Visit]) -> list[dict[str, Any]]:
    """One row per visit of ``completed`` (oldest first) and body-map region with tension
    > 0: ``{"visit_id", "date", "region", "level"}``."""
    return [
        {
            "visit_id": visit.pk,
            "date": timezone.localtime(visit.starts_at).date(),
            "region": region,
            "level": level,
        }
        for visit in completed
        for region, level in sorted((visit.body_map or {}).items())
        if level
    ]


#: The visit's fields of the five session ratings, before and after.
_RATING_FIELDS = [f"{name}_{when}" for name in RATINGS for when in ("before", "after")]


def _ratings_rows(completed: Iterable[Visit]) -> list[dict[str, Any]]:
    """One row per visit of ``completed`` (oldest first): ``{"visit_id", "date", "ratings":
    {name: {"before": int | None, "after": int | None}}}`` for the five session ratings."""
    return [
        {
            "visit_id": visit.pk,
            "date": timezone.localtime(visit.starts_at).date(),
            "ratings": {
                name: {
                    "before": getattr(visit, f"{name}_before"),
                    "after": getattr(visit, f"{name}_after"),
                }
                for name in RATINGS
            },
        }
        for visit in completed
    ]


def visit_page(member: StaffMember, client: Client) -> QuerySet[Visit]:
    """Every visit of the client, newest first, with its therapist and episode, for paging
    (the client record's Chart tab)."""
    return (
        Visit.objects.for_member(member)
        .filter(client_id=client.pk)
        .select_related("therapist__user", "episode")
        .order_by("-starts_at", "-id")
    )


@dataclass(frozen=True)
class MassageProgress:
    """Care's panel on the progress page: body-map tension and the session ratings over
    time (charts with their table alternatives) and every visit."""

    body_chart: dict[str, Any] | None
    body_dates: list[str]
    body_table: list[tuple[str, list[Any]]]
    ratings_chart: dict[str, Any] | None
    ratings: list[dict[str, Any]]
    visits: list[Visit]

    @property
    def body_rows(self) -> SafeString:
        """The tension table's rows: a region, then its level at each visit."""
        return table_rows(((label, *levels) for label, levels in self.body_table), row_header=True)

    @property
    def rating_rows(self) -> SafeString:
        """The ratings table's rows: the visit's date, then "before → after" per rating."""
        return table_rows(
            (
                row["date"].isoformat(),
                *(f"{_dash(p['before'])} → {_dash(p['after'])}" for p in row["ratings"].values()),
            )
            for row in self.ratings
        )

    @property
    def visit_items(self) -> SafeString:
        """The visit list's items: when (a link to the visit), status, kind, length, who.
        The labels are looked up once, not per visit; the visits' URL is reversed once per
        process (``fixed_url``)."""
        statuses, modalities = dict(VisitStatus.choices), dict(Modality.choices)
        return format_html_join(
            "\n",
            '<li><a href="{}">{}</a> · {} · {} · {} min · {}</li>',
            (
                (
                    fixed_url("care:visit", v.pk),
                    timezone.localtime(v.starts_at).strftime("%Y-%m-%d %H:%M"),
                    statuses.get(v.status, v.status),
                    modalities.get(v.modality, v.modality),
                    v.duration_min,
                    v.therapist.display_name,
                )
                for v in self.visits
            ),
        )


def _dash(value: object) -> object:
    return "—" if value is None else value


#: What the progress page shows of a visit, and who gave it.
_CHARTED = (
    "starts_at",
    "status",
    "modality",
    "duration_min",
    "body_map",
    *_RATING_FIELDS,
    "therapist__user__first_name",
    "therapist__user__last_name",
    "therapist__user__username",
)


def massage_progress(member: StaffMember, client: Client) -> MassageProgress | None:
    """The massage record over time, or None for a role that may not read it (front desk).
    One query: every visit, newest first, without its notes; the completed ones also give the
    body-map and ratings series (three queries of the same rows cost the page about 3 ms)."""
    if not member.can("care.view"):
        return None
    visits = list(
        Visit.objects.for_member(member)
        .filter(client_id=client.pk)
        .select_related("therapist__user")
        .only(*_CHARTED)
        .order_by("-starts_at", "-id")
    )
    completed = sorted(
        (v for v in visits if v.status == VisitStatus.COMPLETED), key=lambda v: (v.starts_at, v.pk)
    )
    body_rows = _body_map_rows(completed)
    rating_rows = _ratings_rows(completed)
    dates, table = charts.body_map_table(body_rows)
    return MassageProgress(
        body_chart=charts.body_map_chart(body_rows),
        body_dates=dates,
        body_table=table,
        ratings_chart=charts.ratings_chart(rating_rows),
        ratings=rating_rows,
        visits=visits,
    )


@dataclass(frozen=True)
class PlanSuggestion:
    """A pathway's suggestion for a new episode's plan, and whether the clinic can follow it
    (a licensed instrument needs its text entered first)."""

    suggestion: plans.Suggestion
    title: str
    available: bool


def plan_suggestions(client: Client, today: dt.date) -> list[PlanSuggestion]:
    """What the client's recorded status suggests (postpartum: EPDS; peri-/postmenopausal:
    MRS, ISI and the sleep diary), with each instrument's availability in the clinic."""
    can_give = {i.id: i.title for i in instruments.administrable(client.clinic_id)}
    out = []
    for s in plans.pathway_suggestions(
        weeks_postpartum=client.weeks_postpartum(today),
        menopause_status=client.menopause_status,
        postpartum_weeks=POSTPARTUM_WEEKS,
    ):
        if s.instrument_id is None:
            out.append(PlanSuggestion(s, "Sleep diary (private link)", True))
            continue
        title = can_give.get(s.instrument_id) or instruments.instrument(s.instrument_id).title
        out.append(PlanSuggestion(s, title, s.instrument_id in can_give))
    return out
