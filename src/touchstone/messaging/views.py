"""The messages page: every message the clinic sent or would have sent."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.messaging.forms import MessageFilterForm
from touchstone.messaging.models import Message


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
