"""Project-level pages: the home page and the health check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from touchstone.accounts.access import MemberRequest, public, requires
from touchstone.accounts.models import StaffMember, StaffNotice
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.selectors import unsigned_notes, visits_today
from touchstone.clients.models import Client
from touchstone.measures.selectors import open_alerts
from touchstone.operations.models import Heartbeat
from touchstone.outcomes import summaries
from touchstone.scheduling.selectors import appointments_today

#: The home page shows this many rows of each list, with the list's length and a link to the
#: full, paged list.
HOME_ROWS = 10


@dataclass(frozen=True)
class TodayRow:
    """One line of "today's visits": an appointment of the calendar, or a visit documented
    without one (a walk-in)."""

    starts_at: dt.datetime
    client: Client
    staff_name: str
    status: str
    appointment_id: int | None
    visit_id: int | None


def _today(member: StaffMember) -> list[TodayRow]:
    """Today's visits come from the calendar; visits documented without an appointment are
    added so none is missing. Two queries."""
    day = timezone.localdate()
    appointments = appointments_today(member, day)
    linked = {a.visit_id for a in appointments}
    rows = [
        TodayRow(
            a.starts_at, a.client, a.staff.display_name, a.get_status_display(), a.pk, a.visit_id
        )
        for a in appointments
    ] + [
        TodayRow(
            v.starts_at, v.client, v.therapist.display_name, v.get_status_display(), None, v.pk
        )
        for v in visits_today(member, day)
        if v.pk not in linked
    ]
    return rows


@requires("account.self")
def home(request: MemberRequest) -> HttpResponse:
    member = request.member
    context: dict[str, Any] = {
        "notices": list(StaffNotice.objects.for_member(member).unread()[:10])
    }
    if member.can("clients.view"):
        clients = Client.objects.for_member(member).active()
        context["client_count"] = clients.count()
        context["recent_clients"] = clients.order_by("-created_at")[:8]
    if member.can("alerts.view"):
        context["alerts"] = open_alerts(member)
    # The three lists are read from the stored summaries (outcomes.summaries): the first
    # HOME_ROWS rows and the length, never the whole clinic.
    if member.can("measures.view"):
        context["deteriorated"] = summaries.deteriorated(member, limit=HOME_ROWS)
    if member.can("measures.give"):
        context["due"] = summaries.questionnaires_due(member, timezone.localdate(), limit=HOME_ROWS)
    if member.can("clients.view"):
        context["visits_today"] = _today(member)
    if member.can("care.edit"):
        context["unsigned"] = unsigned_notes(member, timezone.now())
    if member.can("outcomes.view") and member.can("clients.view"):
        context["off_track"] = summaries.not_on_track(member, limit=HOME_ROWS)
    if member.can("clients.view"):
        # The home page lists clients (recent, due, alerts, visits today): an audited read.
        record(request.actor, Action.LIST, object_type="clients.client", detail="home page")
    return render(request, "home.html", context)


@public
@never_cache
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database commits a write transaction, 503 otherwise (for load balancers
    and uptime monitors; exempt from the HTTPS redirect, SECURE_REDIRECT_EXEMPT)."""
    try:
        Heartbeat.beat()
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
