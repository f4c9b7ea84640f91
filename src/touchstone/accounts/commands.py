"""The base of every management command that acts for a clinic: it names the clinic
(``--clinic SLUG``, default the only clinic), builds the command line's ``Actor`` (channel
"cli", no user: the operator acts for the clinic) and fails with exit status 2 and one line
on bad input."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor


def bad(message: str) -> CommandError:
    """A one-line refusal with exit status 2 (bad input, nothing done)."""
    return CommandError(message, returncode=2)


class TouchstoneCommand(BaseCommand):
    """Commands that read or write a clinic's data derive from this."""

    def add_clinic_argument(self, parser: Any) -> None:
        parser.add_argument(
            "--clinic", metavar="SLUG", help="The clinic to act for (default: the only clinic)."
        )

    def clinic_for(self, slug: str | None) -> Clinic:
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

    def actor_for(self, clinic: Clinic | None) -> Actor:
        """Who the audit log says acted: the command line, for ``clinic``."""
        return Actor.system("cli", clinic)
