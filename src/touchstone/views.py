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
from touchstone.billing.selectors import period_money
from touchstone.care.selectors import unsigned_notes, visits_today
from touchstone.clients.models import Client
from touchstone.measures.selectors import open_alerts
from touchstone.operations.models import Heartbeat
from touchstone.outcomes import summaries
from touchstone.scheduling.selectors import appointments_today, week_figures

#: Each tile of the home page shows its count and at most this many rows; the tile's link
#: opens the full, paged list. With a few tiles, the page fits a 1366x768 laptop screen.
HOME_ROWS = 3


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
    added so none is missing, and the day reads in time order. Two queries."""
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
    return sorted(rows, key=lambda row: row.starts_at)  # the day in order, walk-ins included


@requires("account.self")
def home(request: MemberRequest) -> HttpResponse:
    """A few tiles per role, each a count and its first rows (constant queries: the stored
    lists of ``outcomes.summaries``, today's calendar, the owner's week)."""
    member = request.member
    today = timezone.localdate()
    context: dict[str, Any] = {
        "notices": list(StaffNotice.objects.for_member(member).unread()[:10]),
        "rows": HOME_ROWS,
    }
    if member.can("clients.view"):
        context["client_count"] = Client.objects.for_member(member).active().count()
        context["visits_today"] = _today(member)
    if member.can("alerts.view"):
        context["alerts"] = open_alerts(member)
    if member.can("measures.give"):
        context["due"] = summaries.questionnaires_due(member, today, limit=HOME_ROWS)
    if member.can("measures.view"):
        context["deteriorated"] = summaries.deteriorated(member, limit=HOME_ROWS)
    if member.can("outcomes.view") and member.can("clients.view"):
        context["off_track"] = summaries.not_on_track(member, limit=HOME_ROWS)
    if member.can("care.edit"):
        context["unsigned"] = unsigned_notes(member, timezone.now())
    if member.can("billing.reports"):
        context["week"] = week_figures(member.clinic, today)
        start = dt.datetime.combine(context["week"].first_day, dt.time.min, member.clinic.zone)
        context["money"] = period_money(member.clinic, start, start + dt.timedelta(days=7))
    if member.can("clients.view"):
        # The home page lists clients (due, alerts, visits today): an audited read.
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
