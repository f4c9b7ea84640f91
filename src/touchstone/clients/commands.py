"""For management commands that act on one client of the clinic they were given."""

from __future__ import annotations

from touchstone.accounts.commands import bad
from touchstone.accounts.models import Clinic
from touchstone.clients.access import client_in
from touchstone.clients.models import Client


def client_of(clinic: Clinic, client_id: int) -> Client:
    """The client ``client_id`` of ``clinic``, or a one-line refusal (exit status 2)."""
    client = client_in(clinic, client_id)
    if client is None:
        raise bad(f"clinic {clinic.slug!r} has no client {client_id}")
    return client
