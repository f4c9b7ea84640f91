"""The client record's own tabs (Overview, Appointments, Chart, Documents) and the progress
page (the Measures tab): one client, every app's panel, one audit event per page.

The Body, Billing and History tabs are served by physiology, billing and clients; every tab
carries the same header (``record_tags.record_header``) and the tab table is ``tabs.TABS``.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.selectors import (
    client_care_summary,
    current_screen,
    has_episode,
    massage_progress,
    visit_page,
)
from touchstone.clients.access import get_client_for
from touchstone.measures.selectors import (
    client_open_alerts,
    latest_scores,
    no_clinician,
    questionnaire_progress,
)
from touchstone.outcomes.summaries import questionnaires_due
from touchstone.outcomes.trajectories import client_trajectories
from touchstone.physiology.selectors import progress_panel
from touchstone.portal.selectors import client_deliveries, open_links
from touchstone.scheduling.models import UPCOMING
from touchstone.scheduling.selectors import client_appointments, next_appointment

#: Visits per page of the Chart tab.
VISITS_PER_PAGE = 25


@requires("clients.view")
def client_page(request: MemberRequest, client_id: int) -> HttpResponse:
    """The Overview: who, contacts, open alerts, the next appointment, the latest scores
    with their reliable change and what is due, each as the role may see it."""
    member = request.member
    client = get_client_for(member, client_id)
    record(request.actor, Action.READ, client)
    context: dict[str, Any] = {
        "client": client,
        "current_screen": current_screen(member, client),
        "open_links": open_links(member, client),
        "deliveries": client_deliveries(member, client),
    }
    if member.can("alerts.view"):
        alerts = client_open_alerts(member, client)
        untaken = any(alert.assigned_to_id is None for alert in alerts)
        context.update(alerts=alerts, no_clinician=untaken and no_clinician(member))
    if member.can("schedule.view"):
        context["next_appointment"] = next_appointment(member, client, timezone.now())
    if member.can("measures.view"):
        scores = latest_scores(member, client)
        context["series"], context["needs_episode"] = scores.series, scores.needs_episode
    if member.can("measures.give"):
        # What the measurement plan makes due, and how far the links it sent got.
        context["due"] = questionnaires_due(member, timezone.localdate(), client=client)
    return render(request, "record/client.html", context)


@requires("schedule.view")
def appointments_page(request: MemberRequest, client_id: int) -> HttpResponse:
    member = request.member
    client = get_client_for(member, client_id)
    rows = client_appointments(member, client)
    now = timezone.now()
    coming = {a.pk for a in rows if a.status in UPCOMING and a.ends_at >= now}
    record(request.actor, Action.READ, client, detail="appointments")
    return render(
        request,
        "record/appointments.html",
        {
            "client": client,
            "upcoming": [a for a in reversed(rows) if a.pk in coming],  # soonest first
            "past": [a for a in rows if a.pk not in coming],  # newest first
        },
    )


@requires("care.view")
def chart_page(request: MemberRequest, client_id: int) -> HttpResponse:
    """Intake, medications, episodes and every visit (paged) with its body map."""
    member = request.member
    client = get_client_for(member, client_id)
    page = Paginator(visit_page(member, client), VISITS_PER_PAGE).get_page(request.GET.get("page"))
    record(
        request.actor,
        Action.READ,
        client,
        detail=f"chart, visits page {page.number}, {len(page.object_list)} rows",
    )
    return render(
        request,
        "record/chart.html",
        {"client": client, "care": client_care_summary(member, client), "page": page},
    )


@requires("clients.view")
def documents_page(request: MemberRequest, client_id: int) -> HttpResponse:
    """The documents the role may produce for the client; those built on an episode of care
    are offered only once there is one."""
    member = request.member
    client = get_client_for(member, client_id)
    record(request.actor, Action.READ, client, detail="documents")
    return render(
        request,
        "record/documents.html",
        {"client": client, "has_episode": has_episode(member, client)},
    )


@requires("measures.view")
def progress_page(request: MemberRequest, client_id: int) -> HttpResponse:
    """The Measures tab: every administration, the progress charts and the trajectory.

    The client's administrations and episodes are read once (``questionnaire_progress``)
    and handed to the trajectory and body panels, which would otherwise read them again."""
    member = request.member
    client = get_client_for(member, client_id)
    questionnaires = questionnaire_progress(member, client)
    administrations = questionnaires.administrations
    context: dict[str, Any] = {
        "client": client,
        "series": questionnaires.series,
        "needs_episode": questionnaires.needs_episode,
        "in_progress": questionnaires.in_progress,
        "administrations": administrations,
        "administration_rows": questionnaires.administration_rows,
        "trajectories": client_trajectories(
            member, client, administrations, questionnaires.episodes
        ),
        "physiology": progress_panel(member, client, administrations),
        "massage": massage_progress(member, client),
    }
    # The client's clinic is the member's (get_client_for): no query for it.
    record(request.actor, Action.READ, client, detail="progress", clinic=member.clinic)
    return render(request, "record/progress.html", context)
