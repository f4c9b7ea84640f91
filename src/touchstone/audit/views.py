from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from touchstone.accounts.access import MemberRequest, requires
from touchstone.accounts.forms import AuditFilterForm
from touchstone.audit.models import AuditEvent


@requires("audit.view")
def audit_list(request: MemberRequest) -> HttpResponse:
    """The clinic's audit log, newest first, filterable. Read-only by construction."""
    events = AuditEvent.objects.for_member(request.member).select_related("actor")
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["object_id"]:
            events = events.filter(object_id=data["object_id"])
        if data["actor"]:
            events = events.filter(actor_label__iexact=data["actor"])
        tz = timezone.get_current_timezone()
        if data["since"]:
            events = events.filter(at__gte=dt.datetime.combine(data["since"], dt.time(), tz))
        if data["until"]:
            end = dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time(), tz)
            events = events.filter(at__lt=end)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {"page": page, "form": form})
