"""Project-level pages: the home page and the health check."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from touchstone.accounts.access import MemberRequest, public, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.selectors import unsigned_notes, visits_today
from touchstone.clients.models import Client
from touchstone.measures.selectors import open_alerts, questionnaires_due, reliably_deteriorated
from touchstone.operations.models import Heartbeat
from touchstone.outcomes.trajectories import not_on_track


@requires("account.self")
def home(request: MemberRequest) -> HttpResponse:
    member = request.member
    context: dict[str, Any] = {}
    if member.can("clients.view"):
        clients = Client.objects.for_member(member).active()
        context["client_count"] = clients.count()
        context["recent_clients"] = clients.order_by("-created_at")[:8]
    if member.can("alerts.view"):
        context["alerts"] = open_alerts(member)
    if member.can("measures.view"):
        context["deteriorated"] = reliably_deteriorated(member)
    if member.can("measures.give"):
        context["due"] = questionnaires_due(member, timezone.localdate())
    if member.can("clients.view"):
        context["visits_today"] = visits_today(member, timezone.localdate())
    if member.can("care.edit"):
        context["unsigned"] = unsigned_notes(member, timezone.now())
    if member.can("outcomes.view") and member.can("clients.view"):
        off_track = not_on_track(member)
        context["off_track"], context["off_track_count"] = off_track[:10], len(off_track)
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
