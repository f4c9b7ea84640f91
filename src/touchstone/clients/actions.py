"""Every change to a client goes through these functions: validated, written in one
transaction with its version (django-simple-history) and its audit event, by
``audit.writes``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.models import Action
from touchstone.clients.models import EDITABLE_FIELDS, Client
from touchstone.clients.signals import client_archived


def do_create_client(actor: Actor, data: dict[str, Any]) -> Client:
    """Create a client in the acting staff member's clinic. Raises ``ValidationError``."""
    client = Client(clinic=actor.staff.clinic)
    return writes.create(actor, client, data, fields=EDITABLE_FIELDS, exclude=["clinic"])


def do_update_client(actor: Actor, client: Client, data: dict[str, Any]) -> list[str]:
    """Change a client's details; returns the names of the fields that changed."""
    return writes.update(actor, client, data, fields=EDITABLE_FIELDS, exclude=["clinic"])


def do_archive_client(actor: Actor, client: Client) -> None:
    """Archive (soft-delete): the record leaves the active list and nothing is destroyed."""
    if client.is_archived:
        return
    client.archived_at = timezone.now()
    with transaction.atomic():
        writes.save(actor, client, Action.ARCHIVE, update_fields=["archived_at", "updated_at"])
        client_archived.send(sender=Client, actor=actor, client=client)


def do_restore_client(actor: Actor, client: Client) -> None:
    if not client.is_archived:
        return
    client.archived_at = None
    writes.save(actor, client, Action.RESTORE, update_fields=["archived_at", "updated_at"])
