"""The superbill: what a client needs to claim reimbursement for massage sessions.

Fields (CMS-1500 vocabulary): billing provider (the clinic) with its type 2 NPI and tax ID
(EIN); rendering therapists; patient name, date of birth and address; ICD-10-CM diagnoses
with pointer letters (A-L, as box 21 of the CMS-1500); one service line per service day:
date, place of service 11 (office, CMS Place of Service code set), the CPT/HCPCS code of
the session's service, diagnosis pointers, units (CMS 8-minute rule, ``science.billing``) and
charge; total.

One line per service day and code. A session booked through the calendar bills its service's
own code (97124, 97140, ...) at the service's full fee in force that day (the fee schedule,
``billing``); its minutes add to that code's minutes of the day before the 8-minute rule
counts units (different codes on one day are counted separately, not by the CMS rule for
mixed timed codes). A session recorded without an appointment bills 97124 at the clinic's fee
per unit. A service marked as not billed (no code) is left out.

Validated before anything is drawn: no superbill without a diagnosis entered by a licensed
clinician, without a valid NPI (Luhn check digit over 80840 + NPI, ``lib.npi.npi_is_valid``),
a tax ID, a fee for every line, or a completed session.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import roles_with
from touchstone.billing.selectors import fees_on
from touchstone.care.models import Diagnosis, Episode, Visit, VisitStatus
from touchstone.claims.models import ProviderNumbers
from touchstone.clients.models import Client
from touchstone.lib.npi import npi_is_valid
from touchstone.reports.progress import ReportError, choose_episode
from touchstone.scheduling.models import Appointment, Service
from touchstone.science.billing import (
    MASSAGE_CPT,
    MASSAGE_CPT_TEXT,
    cms_timed_units,
    line_fee,
    units_per_day,
)

#: CMS Place of Service code 11: Office.
PLACE_OF_SERVICE = "11"
#: CMS-1500 box 21 holds up to 12 diagnoses, lettered A-L.
MAX_DIAGNOSES = 12


class SuperbillError(ReportError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass
class Line:
    day: dt.date
    minutes: int
    units: int
    #: The clinic's fee per 97124 unit (sessions without a service); None: the charge is the
    #: service's full fee (fee schedule).
    unit_fee: Decimal | None
    charge: Decimal
    pointers: str
    cpt: str = MASSAGE_CPT
    description: str = MASSAGE_CPT_TEXT
    place_of_service: str = PLACE_OF_SERVICE


@dataclass
class Superbill:
    clinic: Clinic
    client: Client
    episode: Episode
    diagnoses: list[tuple[str, Diagnosis]]
    lines: list[Line]
    therapists: list[str]
    generated_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def total(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0.00"))

    @property
    def total_units(self) -> int:
        return sum(line.units for line in self.lines)


def clinic_problems(clinic: Clinic) -> list[str]:
    problems = []
    if not clinic.npi:
        problems.append("The clinic has no NPI: add it in the clinic settings.")
    elif not npi_is_valid(clinic.npi):
        problems.append("The clinic's NPI fails its check digit: correct it in the settings.")
    if not clinic.tax_id:
        problems.append("The clinic has no tax ID (EIN): add it in the clinic settings.")
    return problems


@dataclass
class _Day:
    """The sessions of one service day and code."""

    minutes: int = 0
    #: Full fees of the sessions booked with a service (None: not in the fee schedule).
    fees: list[tuple[str, Decimal | None]] = field(default_factory=list)
    description: str = MASSAGE_CPT_TEXT
    #: Sessions without a service, billed per 97124 unit, and their minutes.
    per_unit: bool = False
    unpriced_minutes: int = 0


def _with_npi(member: StaffMember, npis: dict[int, str]) -> str:
    """A treating provider as the superbill names them: with their own NPI when they have one
    (massage therapists bill under their own NPI too; ``claims.ProviderNumbers``)."""
    npi = npis.get(member.pk)
    return f"{member.display_name} (NPI {npi})" if npi else member.display_name


def build_superbill(
    clinic: Clinic,
    client: Client,
    *,
    episode_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Superbill:
    """The superbill of an episode's completed sessions (optionally within ``start``-``end``).

    Raises
    ------
    SuperbillError
        Listing every problem at once, so they can be fixed in one go.
    """
    problems = clinic_problems(clinic)
    episode = choose_episode(clinic, client, episode_id)
    diagnoses = list(
        Diagnosis.objects.filter(
            clinic_id=clinic.pk,
            episode_id=episode.pk,
            entered_by__role__in=roles_with("diagnoses.edit"),
        ).order_by("entered_at", "id")[:MAX_DIAGNOSES]
    )
    if not diagnoses:
        problems.append(
            "No diagnosis entered by a licensed clinician on this episode: a superbill needs one."
        )
    visits = Visit.objects.filter(
        clinic_id=clinic.pk, episode_id=episode.pk, status=VisitStatus.COMPLETED
    ).select_related("therapist__user", "appointment__service")
    npis = dict(ProviderNumbers.objects.filter(clinic=clinic).values_list("staff_id", "npi"))
    sessions: dict[tuple[dt.date, str], _Day] = {}
    therapists: set[str] = set()
    priced: list[tuple[dt.date, str, Service]] = []
    for visit in visits.order_by("starts_at", "id"):
        day = timezone.localtime(visit.starts_at).date()
        if (start and day < start) or (end and day > end):
            continue
        service = _service_of(visit)
        if service is not None and not service.billing_code:
            continue  # the clinic does not bill this service
        code = service.billing_code if service is not None else MASSAGE_CPT
        line = sessions.setdefault((day, code), _Day())
        line.minutes += visit.duration_min
        if service is None:
            line.per_unit = True
            line.unpriced_minutes += visit.duration_min
        else:
            priced.append((day, code, service))
            if code != MASSAGE_CPT:
                line.description = service.name
        therapists.add(_with_npi(visit.therapist, npis))
    fees = fees_on((booked.pk, day) for day, _, booked in priced)
    for day, code, booked in priced:
        sessions[(day, code)].fees.append((booked.name, fees.get((booked.pk, day))))
    units = units_per_day((key, line.minutes) for key, line in sessions.items())
    billable = {key: line for key, line in sessions.items() if units[key] > 0}
    if not billable:
        problems.append("No completed session of 8 minutes or more to bill in this period.")
    if any(line.per_unit for line in billable.values()) and clinic.fee_97124 is None:
        problems.append(
            "A session recorded without an appointment is billed per 97124 unit, and the "
            "clinic has no fee per unit: set it in the clinic settings."
        )
    for (day, _), line in sorted(billable.items()):
        problems.extend(
            f"The fee schedule has no fee for {name} on {day:%Y-%m-%d}: set it first."
            for name, fee in line.fees
            if fee is None
        )
    if problems:
        raise SuperbillError(problems)
    lettered = list(zip(string.ascii_uppercase, diagnoses, strict=False))
    pointers = "".join(letter for letter, _ in lettered[:4])  # up to 4 pointers per line
    lines = []
    for (day, code), line in sorted(billable.items()):
        n = units[(day, code)]
        charge = sum((fee for _, fee in line.fees if fee is not None), Decimal("0.00"))
        unit_fee = clinic.fee_97124 if line.per_unit else None
        if unit_fee is not None:
            # Sessions without a service at the unit fee: all the line's units, or on a day
            # that also has booked sessions of the code, the units of their own minutes.
            per_unit = n if not line.fees else cms_timed_units(line.unpriced_minutes)
            charge += line_fee(per_unit, unit_fee)
        lines.append(
            Line(day, line.minutes, n, unit_fee, charge.quantize(Decimal("0.01")), pointers,
                 cpt=code, description=line.description)
        )  # fmt: skip
    return Superbill(clinic, client, episode, lettered, lines, sorted(therapists))


def _service_of(visit: Visit) -> Service | None:
    """The service of the appointment the visit documents (None: recorded without one)."""
    try:
        return visit.appointment.service
    except Appointment.DoesNotExist:
        return None
