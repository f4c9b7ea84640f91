"""Helpers shared by the ``report``, ``export`` and ``import`` commands: they act for one
clinic (``--clinic SLUG``, default the only clinic) and in its time zone, audit with channel
"cli" and fail with exit status 2 and one line on bad input."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.http import HttpRequest
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.clients.models import Client


def bad(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def add_clinic_argument(parser: Any) -> None:
    parser.add_argument(
        "--clinic", metavar="SLUG", help="The clinic to act for (default: the only clinic)."
    )


def clinic_for(slug: str | None) -> Clinic:
    """The clinic the command acts for; from here on the command works in its time zone
    (dates read, "today", dates and times written to reports and exports)."""
    if slug:
        clinic = Clinic.objects.filter(slug=slug).first()
        if clinic is None:
            raise bad(f"no clinic with slug {slug!r}")
    else:
        clinics = list(Clinic.objects.order_by("pk")[:2])
        if len(clinics) != 1:
            raise bad("there is more than one clinic (or none): name one with --clinic SLUG")
        clinic = clinics[0]
    timezone.activate(clinic.zone)
    return clinic


def client_of(clinic: Clinic, client_id: int) -> Client:
    client = Client.objects.filter(clinic_id=clinic.pk, pk=client_id).first()
    if client is None:
        raise bad(f"clinic {clinic.slug!r} has no client {client_id}")
    return client


def cli_request() -> HttpRequest:
    """A stand-in request so that audit events say channel "cli" (no address, no user)."""
    request = HttpRequest()
    request.audit_channel = "cli"  # type: ignore[attr-defined]
    return request
