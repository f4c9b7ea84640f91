"""Clients reached through the tenant boundary: the one way views, the API and commands
fetch a client (``accounts.access.get_for`` underneath, so another clinic's client is 404)."""

from __future__ import annotations

from touchstone.accounts.access import get_for
from touchstone.accounts.models import Clinic, StaffMember
from touchstone.clients.models import Client


def get_client_for(member: StaffMember, client_id: int) -> Client:
    """The client ``client_id`` of the member's clinic, or 404."""
    return get_for(member, Client.objects, pk=client_id)


def client_in(clinic: Clinic, client_id: int) -> Client | None:
    """The client ``client_id`` of ``clinic`` or None: for commands, which act for a clinic
    named on the command line rather than for a signed-in member."""
    return Client.objects.filter(clinic_id=clinic.pk, pk=client_id).first()
