"""The client page and the progress page: one client, every app's panel, one audit event."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.selectors import client_care_summary, massage_progress
from touchstone.clients.access import get_client_for
from touchstone.measures.selectors import questionnaire_progress
from touchstone.outcomes.summaries import questionnaires_due
from touchstone.outcomes.trajectories import client_trajectories
from touchstone.physiology.selectors import progress_panel
from touchstone.portal.selectors import client_deliveries, open_links


@requires("clients.view")
def client_page(request: MemberRequest, client_id: int) -> HttpResponse:
    member = request.member
    client = get_client_for(member, client_id)
    record(request.actor, Action.READ, client)
    context: dict[str, Any] = {
        "client": client,
        "care": client_care_summary(member, client),
        "open_links": open_links(member, client),
        "deliveries": client_deliveries(member, client),
    }
    if member.can("measures.give"):
        # What the measurement plan makes due, and how far the links it sent got.
        context["due"] = questionnaires_due(member, timezone.localdate(), client_id=client.pk)
    return render(request, "record/client.html", context)


@requires("measures.view")
def progress_page(request: MemberRequest, client_id: int) -> HttpResponse:
    member = request.member
    client = get_client_for(member, client_id)
    questionnaires = questionnaire_progress(member, client)
    context: dict[str, Any] = {
        "client": client,
        "series": questionnaires.series,
        "in_progress": questionnaires.in_progress,
        "administrations": questionnaires.administrations,
        "trajectories": client_trajectories(member, client),
        "physiology": progress_panel(member, client),
        "massage": massage_progress(member, client),
    }
    record(request.actor, Action.READ, client, detail="progress")
    return render(request, "record/progress.html", context)
