"""The messages page: every message the clinic sent or would have sent."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render

from touchstone.accounts.access import MemberRequest, requires
from touchstone.accounts.models import StaffMember
from touchstone.accounts.roles import roles_with
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.messaging.actions import do_set_on_call
from touchstone.messaging.forms import MessageFilterForm, OnCallForm
from touchstone.messaging.models import Message, OnCall


@requires("messages.view")
def message_list(request: MemberRequest) -> HttpResponse:
    """Newest first: when, what kind, to whom, by which channel, and whether it went. The
    texts carry no clinical content, so every role that works with clients sees them."""
    messages = Message.objects.for_member(request.member).select_related("client", "staff__user")
    form = MessageFilterForm(request.GET or None)
    if form.is_valid():
        for name in ("status", "kind", "channel"):
            if form.cleaned_data[name]:
                messages = messages.filter(**{name: form.cleaned_data[name]})
    page = Paginator(messages, 50).get_page(request.GET.get("page"))
    record(
        request.actor, Action.LIST, object_type="messaging.message",
        detail=f"{len(page.object_list)} messages",
    )  # fmt: skip
    return render(request, "messaging/list.html", {"page": page, "form": form})


@requires("oncall.manage")
def on_call(request: MemberRequest) -> HttpResponse:
    """The owner orders who is notified of a risk alert first, and who next."""
    clinic = request.member.clinic
    clinicians = list(
        StaffMember.objects.filter(
            clinic=clinic, is_active=True, role__in=roles_with("alerts.handle")
        ).select_related("user")
    )
    current = [e.member for e in OnCall.objects.filter(clinic=clinic).select_related("member")]
    form = OnCallForm(request.POST or None, clinicians=clinicians, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            do_set_on_call(request.actor, form.slots())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            flash.success(request, "On-call list saved.")
            return redirect("messaging:on_call")
    return render(
        request,
        "messaging/on_call.html",
        {"form": form, "clinic": clinic, "empty": not current},
    )
