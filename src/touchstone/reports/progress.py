"""The progress report of one client's episode: every fact it shows, gathered in a fixed
number of queries (tested), for the HTML page, the PDF and the command line alike.

Builders take the clinic (the tenant) rather than a request, so that the command line,
which acts for a clinic, and the web views share them; views pass ``request.member.clinic``
after fetching the client through ``get_client_for``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.accounts.roles import roles_with
from touchstone.care.models import (
    AdverseEvent,
    ContraindicationScreen,
    Diagnosis,
    Episode,
    Visit,
    VisitAddendum,
    VisitStatus,
)
from touchstone.clients.models import Client
from touchstone.measures.models import Administration, RiskAlert
from touchstone.measures.progress import Series, client_series
from touchstone.reports.svgchart import series_svg
from touchstone.science.billing import MASSAGE_CPT, units_per_day


class ReportError(ValueError):
    """The report cannot be made (e.g. the client has no episode of care)."""


@dataclass
class SessionLine:
    visit: Visit
    day: dt.date
    minutes: int
    units: int
    therapist: str


@dataclass
class ProgressReport:
    clinic: Clinic
    client: Client
    episode: Episode
    prepared_by: str
    prepared_role: str
    generated_at: dt.datetime
    diagnoses: list[Diagnosis] | None  # None: the reader may not see diagnoses
    sessions: list[SessionLine]
    series: list[Series]
    charts: dict[str, Any]
    alerts: list[RiskAlert]
    adverse_events: list[AdverseEvent]
    screen: ContraindicationScreen | None
    last_plan: str
    therapists: list[str] = field(default_factory=list)
    addenda: list[VisitAddendum] = field(default_factory=list)
    #: Why each alert was raised and the action taken: licensed clinicians only (DESIGN.md).
    alert_details: bool = False

    @property
    def total_minutes(self) -> int:
        return sum(s.minutes for s in self.sessions)

    @property
    def total_units(self) -> int:
        return sum(s.units for s in self.sessions)

    @property
    def cpt(self) -> str:
        return MASSAGE_CPT


def choose_episode(clinic: Clinic, client: Client, episode_id: int | None) -> Episode:
    """The episode asked for, else the client's open episode, else their latest (one query)."""
    episodes = Episode.objects.filter(clinic_id=clinic.pk, client_id=client.pk)
    if episode_id is not None:
        episode = episodes.filter(pk=episode_id).first()
        if episode is None:
            raise ReportError("This client has no such episode of care.")
        return episode
    rows = list(episodes.order_by("-started_on", "-id"))
    if not rows:
        raise ReportError("This client has no episode of care yet: start one first.")
    return next((e for e in rows if e.is_open), rows[0])


def session_lines(visits: list[Visit]) -> list[SessionLine]:
    """Completed visits, oldest first, with CPT 97124 units by the CMS 8-minute rule.

    Units are counted per service day (the minutes of one day are summed, CMS Pub. 100-04
    ch. 5 §20.2); on a day with two visits the units sit on the first line.
    """
    days = [timezone.localtime(v.starts_at).date() for v in visits]
    units = units_per_day(zip(days, (v.duration_min for v in visits), strict=True))
    lines, seen = [], set()
    for v, day in zip(visits, days, strict=True):
        lines.append(
            SessionLine(
                v, day, v.duration_min, 0 if day in seen else units[day], v.therapist.display_name
            )
        )
        seen.add(day)
    return lines


def build_progress_report(
    clinic: Clinic,
    client: Client,
    *,
    episode_id: int | None = None,
    with_diagnoses: bool,
    with_alert_details: bool = False,
    prepared_by: str,
    prepared_role: str,
) -> ProgressReport:
    """Gather the report: nine queries whatever the number of visits and scores."""
    episode = choose_episode(clinic, client, episode_id)
    start = timezone.make_aware(dt.datetime.combine(episode.started_on, dt.time.min))
    end_day = episode.ended_on or timezone.localdate()
    end = timezone.make_aware(dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time.min))
    diagnoses = None
    if with_diagnoses:
        # Only diagnoses a licensed clinician entered (DESIGN.md: licensed work).
        diagnoses = list(
            Diagnosis.objects.filter(
                clinic_id=clinic.pk,
                episode_id=episode.pk,
                entered_by__role__in=roles_with("diagnoses.edit"),
            ).select_related("entered_by__user")
        )
    visits = list(
        Visit.objects.filter(
            clinic_id=clinic.pk, episode_id=episode.pk, status=VisitStatus.COMPLETED
        )
        .select_related("therapist__user", "signed_by__user")
        .prefetch_related(
            Prefetch("addenda", VisitAddendum.objects.select_related("signed_by__user"))
        )
        .order_by("starts_at", "id")
    )
    administrations = list(
        Administration.objects.filter(clinic_id=clinic.pk, client_id=client.pk)
        .completed()
        .filter(completed_at__lt=end)
        .exclude(instrument_id__startswith="rating-")
    )
    series = client_series(
        administrations,
        [(episode.started_on, episode.ended_on)],
        criteria=clinic.change_criteria,
        today=end_day,
    )
    alerts = list(
        RiskAlert.objects.filter(
            clinic_id=clinic.pk, client_id=client.pk, raised_at__gte=start, raised_at__lt=end
        )
        .select_related("administration", "closed_by__user", "assigned_to__user")
        .order_by("raised_at", "id")
    )
    adverse = list(
        AdverseEvent.objects.filter(
            clinic_id=clinic.pk, visit__episode_id=episode.pk
        ).select_related("visit")
    )
    screen = (
        ContraindicationScreen.objects.filter(clinic_id=clinic.pk, client_id=client.pk)
        .filter(Q(screened_at__lt=end))
        .order_by("-screened_at", "-id")
        .first()
    )
    sessions = session_lines(visits)
    return ProgressReport(
        clinic=clinic,
        client=client,
        episode=episode,
        prepared_by=prepared_by,
        prepared_role=prepared_role,
        generated_at=timezone.now(),
        diagnoses=diagnoses,
        sessions=sessions,
        series=series,
        charts={s.definition.id: series_svg(s) for s in series},
        alerts=alerts,
        adverse_events=adverse,
        screen=screen,
        last_plan=next((v.plan for v in reversed(visits) if v.plan.strip()), ""),
        therapists=sorted({s.therapist for s in sessions}),
        addenda=[a for v in visits for a in v.addenda.all()],
        alert_details=with_alert_details,
    )
