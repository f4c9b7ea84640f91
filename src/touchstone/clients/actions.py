"""Every change to a client goes through these functions: validate, write in one
transaction, keep the version (django-simple-history) and record the audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.audit.log import changed_fields, fields_detail, record
from touchstone.audit.models import Action
from touchstone.clients.models import EDITABLE_FIELDS, Client


def _apply(client: Client, data: dict[str, Any]) -> list[str]:
    before = {name: getattr(client, name) for name in EDITABLE_FIELDS}
    for name, value in data.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"{name} is not an editable client field")
        setattr(client, name, value)
    client.full_clean(exclude=["clinic"])
    return changed_fields(before, {name: getattr(client, name) for name in EDITABLE_FIELDS})


def do_create_client(
    member: StaffMember, data: dict[str, Any], request: HttpRequest | None = None
) -> Client:
    """Create a client in the member's clinic. Raises ``ValidationError`` on bad data."""
    client = Client(clinic=member.clinic)
    _apply(client, data)
    client._history_user = member.user  # type: ignore[attr-defined]
    with transaction.atomic():
        client.save()
        record(request, Action.CREATE, client, actor=member.user)
    return client


def do_update_client(
    member: StaffMember, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> list[str]:
    """Change a client's details; returns the names of the fields that changed."""
    changed = _apply(client, data)
    if not changed:
        return []
    client._history_user = member.user  # type: ignore[attr-defined]
    with transaction.atomic():
        client.save()
        record(request, Action.UPDATE, client, actor=member.user, detail=fields_detail(changed))
    return changed


def do_archive_client(
    member: StaffMember, client: Client, request: HttpRequest | None = None
) -> None:
    """Archive (soft-delete): the record leaves the active list and nothing is destroyed."""
    if client.is_archived:
        return
    client.archived_at = timezone.now()
    client._history_user = member.user  # type: ignore[attr-defined]
    with transaction.atomic():
        client.save(update_fields=["archived_at", "updated_at"])
        record(request, Action.ARCHIVE, client, actor=member.user)


def do_restore_client(
    member: StaffMember, client: Client, request: HttpRequest | None = None
) -> None:
    if not client.is_archived:
        return
    client.archived_at = None
    client._history_user = member.user  # type: ignore[attr-defined]
    with transaction.atomic():
        client.save(update_fields=["archived_at", "updated_at"])
        record(request, Action.RESTORE, client, actor=member.user)
