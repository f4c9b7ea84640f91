from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from touchstone.accounts.access import MemberRequest, requires
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients import actions
from touchstone.clients.access import get_client_for
from touchstone.clients.forms import ClientForm, ClientSearchForm
from touchstone.clients.models import EDITABLE_FIELDS, Client

PAGE_SIZE = 25


def _form_data(form: ClientForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}


def _save_with_model_errors(form: ClientForm, save: Any) -> Any:
    try:
        return save(_form_data(form))
    except ValidationError as error:
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
        return None


@requires("clients.view")
def client_list(request: MemberRequest) -> HttpResponse:
    search = ClientSearchForm(request.GET or None)
    clients = Client.objects.for_member(request.member)
    text, archived = "", False
    if search.is_valid():
        text, archived = search.cleaned_data["q"], search.cleaned_data["archived"]
    clients = clients.archived() if archived else clients.active()
    if text:
        clients = clients.search(text)
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    record(
        request.actor,
        Action.LIST,
        object_type="clients.client",
        detail=f"page {page.number}, {len(page.object_list)} rows",
    )
    return render(
        request,
        "clients/list.html",
        {"page": page, "search": search, "archived": archived, "text": text},
    )


@requires("clients.edit")
def client_create(request: MemberRequest) -> HttpResponse:
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = _save_with_model_errors(
            form,
            lambda data: actions.do_create_client(request.actor, data),
        )
        if client is not None:
            messages.success(request, "Client created.")
            return redirect("record:client", client_id=client.pk)
    return render(request, "clients/form.html", {"form": form, "client": None})


@requires("clients.edit")
def client_edit(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        fresh = get_client_for(
            request.member, client_id
        )  # form.is_valid() mutated `client` already
        changed = _save_with_model_errors(
            form,
            lambda data: actions.do_update_client(request.actor, fresh, data),
        )
        if changed is not None:
            messages.success(request, "Saved." if changed else "Nothing changed.")
            return redirect("record:client", client_id=client_id)
    else:
        record(request.actor, Action.READ, client, detail="edit form")
    return render(request, "clients/form.html", {"form": form, "client": client})


@requires("clients.archive")
def client_archive(request: MemberRequest, client_id: int) -> HttpResponse:
    """Asks first (GET: the confirmation page), archives on the confirmation's POST."""
    client = get_client_for(request.member, client_id)
    if request.method != "POST" or client.is_archived:
        record(request.actor, Action.READ, client, detail="archive confirmation")
        return render(request, "clients/archive.html", {"client": client})
    actions.do_archive_client(request.actor, client)
    messages.success(request, "Client archived. Nothing was deleted; restore at any time.")
    return redirect("record:client", client_id=client_id)


@requires("clients.archive")
@require_POST
def client_restore(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    actions.do_restore_client(request.actor, client)
    messages.success(request, "Client restored.")
    return redirect("record:client", client_id=client_id)


@requires("clients.history")
def client_history(request: MemberRequest, client_id: int) -> HttpResponse:
    client = get_client_for(request.member, client_id)
    versions = list(client.history.select_related("history_user").order_by("-history_date"))
    rows = []
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        changes = newer.diff_against(older).changes if older is not None else []
        rows.append({"version": newer, "changes": changes})
    record(request.actor, Action.READ, client, detail="history")
    return render(request, "clients/history.html", {"client": client, "rows": rows})
