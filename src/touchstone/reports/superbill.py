"""The superbill: what a client needs to claim reimbursement for massage sessions.

Fields (CMS-1500 vocabulary): billing provider (the clinic) with its type 2 NPI and tax ID
(EIN); rendering therapists; patient name, date of birth and address; ICD-10-CM diagnoses
with pointer letters (A-L, as box 21 of the CMS-1500); one service line per service day:
date, place of service 11 (office, CMS Place of Service code set), the visit's billing code
(its appointment's service: 97124, 97140, 97112 …; 97124 for a visit booked without one),
diagnosis pointers, units (CMS 8-minute rule, ``science.billing``), fee per unit, charge, and
the treating provider of each line with their own NPI (``claims.ProviderNumbers``: massage
therapists bill under their own NPI too); total. Diagnoses are the episode's, entered by a
licensed clinician, the referring provider's first.

Validated before anything is drawn: no superbill without a diagnosis entered by a licensed
clinician, without a valid NPI (Luhn check digit over 80840 + NPI, ``lib.npi.npi_is_valid``),
a tax ID, a fee per unit, or a completed session.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, When
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.accounts.roles import roles_with
from touchstone.care.models import Diagnosis, Episode, Visit, VisitStatus
from touchstone.claims.models import ProviderNumbers
from touchstone.clients.models import Client
from touchstone.lib.npi import npi_is_valid
from touchstone.reports.progress import ReportError, choose_episode
from touchstone.scheduling.models import COMMON_BILLING_CODES
from touchstone.science.billing import MASSAGE_CPT, MASSAGE_CPT_TEXT, line_fee, units_per_day

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
    unit_fee: Decimal
    charge: Decimal
    pointers: str
    cpt: str = MASSAGE_CPT
    description: str = MASSAGE_CPT_TEXT
    place_of_service: str = PLACE_OF_SERVICE
    rendering: str = ""
    npi: str = ""


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
    if clinic.fee_97124 is None:
        problems.append("The clinic has no fee per 97124 unit: set it in the clinic settings.")
    return problems


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
        ).order_by(Case(When(source="referring", then=0), default=1), "entered_at", "id")[
            :MAX_DIAGNOSES
        ]
    )
    if not diagnoses:
        problems.append(
            "No diagnosis entered by a licensed clinician on this episode: a superbill needs one."
        )
    visits = Visit.objects.filter(
        clinic_id=clinic.pk, episode_id=episode.pk, status=VisitStatus.COMPLETED
    ).select_related("therapist__user", "appointment__service")
    npis = dict(ProviderNumbers.objects.filter(clinic=clinic).values_list("staff_id", "npi"))
    # One line per service day, code and treating provider; units by the day's minutes.
    minutes: dict[tuple[dt.date, str, int], int] = {}
    names: dict[int, str] = {}
    for visit in visits.order_by("starts_at", "id"):
        day = timezone.localtime(visit.starts_at).date()
        if (start and day < start) or (end and day > end):
            continue
        appointment = getattr(visit, "appointment", None)
        code = (appointment.service.billing_code if appointment else "") or MASSAGE_CPT
        key = (day, code, visit.therapist_id)
        minutes[key] = minutes.get(key, 0) + visit.duration_min
        names[visit.therapist_id] = visit.therapist.display_name
    units = units_per_day(minutes.items())
    billable = {key: m for key, m in minutes.items() if units[key] > 0}
    if not billable:
        problems.append("No completed session of 8 minutes or more to bill in this period.")
    if problems:
        raise SuperbillError(problems)
    assert clinic.fee_97124 is not None
    lettered = list(zip(string.ascii_uppercase, diagnoses, strict=False))
    pointers = "".join(letter for letter, _ in lettered[:4])  # up to 4 pointers per line
    lines = []
    for (day, code, staff_id), total in sorted(billable.items()):
        n = units[(day, code, staff_id)]
        lines.append(
            Line(
                day, total, n, clinic.fee_97124, line_fee(n, clinic.fee_97124), pointers, code,
                MASSAGE_CPT_TEXT if code == MASSAGE_CPT else COMMON_BILLING_CODES.get(code, code),
                PLACE_OF_SERVICE, names[staff_id], npis.get(staff_id, ""),
            )
        )  # fmt: skip
    therapists = {f"{names[s]} (NPI {npis[s]})" if s in npis else names[s] for _, _, s in billable}
    return Superbill(clinic, client, episode, lettered, lines, sorted(therapists))
