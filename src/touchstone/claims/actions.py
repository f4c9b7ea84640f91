"""Every write of the claims app, with an explicit ``Actor`` first, in one transaction with
its audit events (``audit.writes``). A refusal (``ClaimError``, ``RemittanceError``, Django's
``ValidationError``, the ledger's ``LedgerError``) writes nothing.

Claims (docs/billing.md, "Claims"): a claim bills the ledger's charge lines of one client's
completed visits with one rendering provider under the client's primary coverage valid on
the visit's day; units follow the CMS 8-minute rule (``science.billing.units_per_day``);
diagnoses are the episode's, entered by a licensed clinician, billable ICD-10-CM codes only.
Every problem of a request is listed at once, and none of its claims is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, Max, When
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import roles_with
from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.billing.actions import do_record_payment
from touchstone.billing.models import Entry, Kind, Method
from touchstone.billing.selectors import open_amounts
from touchstone.care.models import Diagnosis, Visit, VisitStatus
from touchstone.claims import codes, x835
from touchstone.claims.files import build_batch, cms1500_forms
from touchstone.claims.models import (
    COVERAGE_FIELDS,
    PAYER_FIELDS,
    PROVIDER_FIELDS,
    SETTINGS_FIELDS,
    Claim,
    ClaimLine,
    ClaimRemittance,
    ClaimSettings,
    ClaimStatus,
    Coverage,
    Payer,
    Priority,
    ProviderNumbers,
    Remittance,
    Submission,
)
from touchstone.claims.pdf import render_cms1500
from touchstone.claims.x837 import build_837p
from touchstone.clients.models import Client
from touchstone.science.billing import units_per_day

#: A CMS-1500 line and an 837P line point at up to four of the claim's diagnoses.
MAX_POINTERS = 4
#: Box 21 of the CMS-1500 and the 837P's HI segment hold up to twelve diagnoses.
MAX_DIAGNOSES = 12
#: The 837P allows 50 service lines per claim.
MAX_LINES = 50
#: Adjustment groups written off the client's account: contractual obligations and
#: payer-initiated reductions. Patient responsibility (PR) and other adjustments (OA) stay.
WRITTEN_OFF_GROUPS = frozenset({"CO", "PI"})


def _clinic(actor: Actor) -> Clinic:
    if actor.clinic is None:
        raise PermissionError("claims are made for a clinic")
    return actor.clinic


class ClaimError(ValueError):
    """What stops claims from being made: every problem, each naming the visit or record."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


# Settings, payers, coverage, provider numbers -------------------------------------------


def do_save_payer(actor: Actor, data: dict[str, Any], payer: Payer | None = None) -> Payer:
    if payer is None:
        return writes.create(actor, Payer(clinic=actor.clinic), data, fields=PAYER_FIELDS)
    writes.update(actor, payer, data, fields=PAYER_FIELDS)
    return payer


def do_save_coverage(
    actor: Actor, client: Client, data: dict[str, Any], coverage: Coverage | None = None
) -> Coverage:
    """A client's coverage, new or edited (versioned, audited)."""
    if coverage is None:
        return writes.create(
            actor, Coverage(clinic=client.clinic, client=client), data, fields=COVERAGE_FIELDS
        )
    writes.update(actor, coverage, data, fields=COVERAGE_FIELDS)
    return coverage


def do_save_provider_numbers(actor: Actor, data: dict[str, Any]) -> ProviderNumbers:
    staff = data.get("staff")
    existing = ProviderNumbers.objects.filter(clinic=actor.clinic, staff=staff).first()
    if existing is None:
        return writes.create(
            actor, ProviderNumbers(clinic=actor.clinic), data, fields=PROVIDER_FIELDS
        )
    writes.update(actor, existing, data, fields=PROVIDER_FIELDS)
    return existing


def do_save_claim_settings(actor: Actor, data: dict[str, Any]) -> ClaimSettings:
    existing = ClaimSettings.objects.filter(clinic=actor.clinic).first()
    if existing is None:
        return writes.create(
            actor, ClaimSettings(clinic=actor.clinic), data, fields=SETTINGS_FIELDS
        )
    writes.update(actor, existing, data, fields=SETTINGS_FIELDS)
    return existing


# Making claims ------------------------------------------------------------------------------


@dataclass
class _Planned:
    client: Client
    coverage: Coverage
    rendering: StaffMember
    visits: list[tuple[Visit, Entry, dt.date]] = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)


def clinic_problems(clinic: Clinic) -> list[str]:
    """What the clinic must set before any claim (billing NPI, EIN, claim settings)."""
    problems = []
    npi = codes.npi_problem(clinic.npi) if clinic.npi else "The clinic has no billing NPI."
    if npi:
        problems.append(f"{npi} (clinic settings: billing NPI)")
    if not clinic.tax_id:
        problems.append("The clinic has no tax ID (EIN): add it in the clinic settings.")
    elif codes.ein_problem(clinic.tax_id):
        problems.append(f"The clinic's tax ID: {codes.ein_problem(clinic.tax_id)}")
    if not ClaimSettings.objects.filter(clinic=clinic).exists():
        problems.append("The clinic has no claim settings (submitter, address): add them.")
    return problems


def primary_coverage(client: Client, day: dt.date) -> Coverage | None:
    for coverage in Coverage.objects.filter(
        client=client, priority=Priority.PRIMARY
    ).select_related("payer"):
        if coverage.is_valid_on(day):
            return coverage
    return None


def _coverage_problems(coverage: Coverage, client: Client) -> list[str]:
    who = f"Client #{client.pk}'s coverage with {coverage.payer.name}"
    problems = []
    if not coverage.member_id:
        problems.append(f"{who} has no member ID: a claim needs one (box 1a).")
    if not (coverage.street and coverage.city and coverage.state and coverage.zip_code):
        problems.append(f"{who} has no full address (street, city, state, ZIP).")
    return problems


def _visit_charge(visit: Visit) -> Entry | None:
    return (
        Entry.objects.filter(appointment__visit=visit, kind=Kind.CHARGE, reversed_by__isnull=True)
        .select_related("service")
        .order_by("id")
        .first()
    )


def plan_claims(clinic: Clinic, visits: list[Visit]) -> list[_Planned]:
    """Check everything a claim for ``visits`` needs and group them into claims, writing
    nothing. Raises ``ClaimError`` listing every problem."""
    problems = clinic_problems(clinic)
    planned: dict[tuple[int, int, int], _Planned] = {}
    numbers = {p.staff_id: p for p in ProviderNumbers.objects.filter(clinic=clinic)}
    missing_npi: set[int] = set()
    for visit in visits:
        where = f"Visit #{visit.pk}"
        day = timezone.localdate(visit.starts_at)
        if visit.status != VisitStatus.COMPLETED:
            problems.append(f"{where} is not completed: only completed visits are claimed.")
            continue
        charge = _visit_charge(visit)
        if charge is None:
            problems.append(f"{where} has no charge in the ledger: charge its appointment first.")
            continue
        if charge.delta <= 0:
            problems.append(f"{where} was drawn from a prepaid package: there is nothing to claim.")
            continue
        if not charge.billing_code:
            problems.append(f"{where}: its service has no billing code (CPT), so it is not billed.")
            continue
        existing = ClaimLine.objects.filter(charge=charge).select_related("claim").first()
        if existing is not None:
            problems.append(f"{where} is already on claim {existing.claim.control_number}.")
            continue
        if visit.episode_id is None:
            problems.append(f"{where} belongs to no episode: its diagnoses come from the episode.")
            continue
        coverage = primary_coverage(visit.client, day)
        if coverage is None:
            problems.append(
                f"{where}: client #{visit.client_id} has no primary coverage valid on {day}."
            )
            continue
        if visit.therapist_id not in numbers:
            if visit.therapist_id not in missing_npi:
                missing_npi.add(visit.therapist_id)
                problems.append(
                    f"{visit.therapist.display_name} has no NPI: add their provider numbers "
                    "(claims settings) before billing their visits."
                )
            continue
        key = (visit.client_id, coverage.pk, visit.therapist_id)
        if key not in planned:
            planned[key] = _Planned(visit.client, coverage, visit.therapist)
        planned[key].visits.append((visit, charge, day))
    for plan in planned.values():
        problems.extend(_coverage_problems(plan.coverage, plan.client))
        problems.extend(_plan_problems(plan))
    if problems:
        raise ClaimError(list(dict.fromkeys(problems)))
    return list(planned.values())


def _plan_problems(plan: _Planned) -> list[str]:
    problems = []
    episodes = {visit.episode_id for visit, _, _ in plan.visits if visit.episode_id}
    diagnoses = list(
        Diagnosis.objects.filter(
            episode_id__in=episodes, entered_by__role__in=roles_with("diagnoses.edit")
        )
        # The referring provider's diagnoses first (the reason for the referral), then
        # those a licensed clinician of the clinic added.
        .order_by(Case(When(source="referring", then=0), default=1), "entered_at", "id")
        .values_list("code", flat=True)
    )
    codes_ = list(dict.fromkeys(diagnoses))
    who = f"Client #{plan.client.pk}"
    if not codes_:
        problems.append(
            f"{who}: no diagnosis entered by a licensed clinician on the visits' episode, so no "
            "line has a diagnosis pointer: a claim needs one."
        )
    for code in codes_:
        problem = codes.icd_problem(code)
        if problem:
            problems.append(f"{who}: {problem}")
    if len(codes_) > MAX_DIAGNOSES:
        codes_ = codes_[:MAX_DIAGNOSES]
    plan.diagnoses = codes_
    days: dict[dt.date, int] = defaultdict(int)
    for _visit, _, day in plan.visits:
        days[day] += 1
    for day, count in days.items():
        if count > 1:
            problems.append(
                f"{who} has {count} timed visits on {day}: CMS counts their minutes together "
                "(8-minute rule); claim them on separate days or as one visit."
            )
    units = units_per_day((day, visit.duration_min) for visit, _, day in plan.visits)
    for visit, _, day in plan.visits:
        if units[day] == 0:
            problems.append(f"Visit #{visit.pk} is shorter than 8 minutes: no unit to bill.")
    if plan.coverage.authorized_visits is not None:
        used = ClaimLine.objects.filter(claim__coverage=plan.coverage).count()
        if used + len(plan.visits) > plan.coverage.authorized_visits:
            problems.append(
                f"{who}: prior authorisation {plan.coverage.prior_authorization or '(no number)'}"
                f" allows {plan.coverage.authorized_visits} visits; {used} are claimed and this "
                f"would add {len(plan.visits)}."
            )
    if len(plan.visits) > MAX_LINES:
        problems.append(f"{who}: more than {MAX_LINES} visits on one claim; claim fewer at once.")
    return problems


def do_create_claims(actor: Actor, visits: list[Visit]) -> list[Claim]:
    """Claims for ``visits`` (all or none), numbered per clinic, audited."""
    clinic = _clinic(actor)
    with transaction.atomic():
        plans = plan_claims(clinic, visits)
        last = Claim.objects.filter(clinic=clinic).aggregate(n=Max("number"))["n"] or 0
        claims = []
        pointers = ":".join(str(i) for i in range(1, 1 + MAX_POINTERS))
        for offset, plan in enumerate(plans, start=1):
            ordered = sorted(plan.visits, key=lambda item: (item[2], item[0].pk))
            units = units_per_day((day, visit.duration_min) for visit, _, day in ordered)
            total = sum((charge.delta for _, charge, _ in ordered), Decimal("0.00"))
            claim = Claim(
                clinic=clinic,
                number=last + offset,
                client=plan.client,
                coverage=plan.coverage,
                rendering=plan.rendering,
                diagnoses=plan.diagnoses,
                total=total,
                created_by=actor.member,
            )
            writes.save(actor, claim, Action.CREATE, detail=f"{len(ordered)} lines")
            n_pointers = min(len(plan.diagnoses), MAX_POINTERS)
            ClaimLine.objects.bulk_create(
                ClaimLine(
                    clinic=clinic,
                    claim=claim,
                    position=position,
                    charge=charge,
                    visit=visit,
                    day=day,
                    code=charge.billing_code,
                    units=units[day],
                    amount=charge.delta,
                    pointers=pointers[: 2 * n_pointers - 1],
                )
                for position, (visit, charge, day) in enumerate(ordered, start=1)
            )
            claims.append(claim)
    return claims


def claims_for_visits(actor: Actor, visits: list[Visit]) -> list[Claim]:
    """The claims that bill ``visits``: the existing ones, and new ones for the rest."""
    existing = {
        line.visit_id: line.claim
        for line in ClaimLine.objects.filter(visit__in=visits).select_related("claim")
    }
    new = (
        do_create_claims(actor, [v for v in visits if v.pk not in existing])
        if len(existing) < len(visits)
        else []
    )
    seen: dict[int, Claim] = {c.pk: c for c in existing.values()}
    for claim in new:
        seen[claim.pk] = claim
    return sorted(seen.values(), key=lambda c: c.number)


def do_record_submission(
    actor: Actor, claims: list[Claim], content: str, number: int
) -> Submission:
    """Keep the 837P file sent for ``claims``; created claims become submitted."""
    with transaction.atomic():
        submission = writes.save(
            actor,
            Submission(
                clinic=actor.clinic, number=number, created_by=actor.member, content=content
            ),
            Action.EXPORT,
            detail=f"837P with {len(claims)} claims",
        )
        submission.claims.set(claims)
        for claim in claims:
            if claim.status == ClaimStatus.CREATED:
                claim.status = ClaimStatus.SUBMITTED
                writes.save(
                    actor, claim, Action.UPDATE, update_fields=["status"], detail="submitted"
                )
    return submission


def next_submission_number(clinic: Clinic) -> int:
    last = Submission.objects.filter(clinic=clinic).aggregate(n=Max("number"))["n"] or 0
    return int(last) + 1


# Remittances --------------------------------------------------------------------------------


def _find_claim(clinic: Clinic, control_number: str) -> Claim:
    prefix = f"TS{clinic.pk}-"
    if control_number.startswith(prefix) and control_number[len(prefix) :].isdigit():
        claim = (
            Claim.objects.filter(clinic=clinic, number=int(control_number[len(prefix) :]))
            .select_related("client")
            .first()
        )
        if claim is not None:
            return claim
    raise x835.RemittanceError(
        f"Claim {control_number} in the remittance is not a claim of this clinic."
    )


def _find_line(claim: Claim, lines: list[ClaimLine], service: x835.ServicePayment) -> ClaimLine:
    for line in lines:
        if service.control_number and service.control_number == line.control_number:
            return line
    matches = [
        line
        for line in lines
        if line.code == service.code and (service.day is None or line.day == service.day)
    ]
    if len(matches) == 1 and not service.control_number:
        return matches[0]
    raise x835.RemittanceError(
        f"Claim {claim.control_number}: the remittance's line {service.code}"
        f"{' ' + service.control_number if service.control_number else ''} matches none of its "
        "lines."
    )


def do_import_835(actor: Actor, text: str) -> Remittance:
    """Post an 835: per claim, the insurance payment and the write-off of contractual
    adjustments, each allocated to the claim's charge lines; denials flagged with their
    reasons. All or nothing: any problem raises ``RemittanceError`` and writes nothing."""
    clinic = _clinic(actor)
    remittance_data = x835.parse_835(text)
    with transaction.atomic():
        if Remittance.objects.filter(
            clinic=clinic,
            payer_name=remittance_data.payer_name[:60],
            trace_number=remittance_data.trace_number,
        ).exists():
            raise x835.RemittanceError(
                f"Remittance {remittance_data.trace_number} from {remittance_data.payer_name} "
                "is already imported."
            )
        remittance = writes.save(
            actor,
            Remittance(
                clinic=clinic,
                payer_name=remittance_data.payer_name[:60],
                trace_number=remittance_data.trace_number,
                total=remittance_data.total_paid,
                paid_on=remittance_data.paid_on,
                imported_by=actor.member,
                content=text,
            ),
            Action.CREATE,
            detail=f"835 with {len(remittance_data.claims)} claims",
        )
        for payment in remittance_data.claims:
            _post_claim_payment(actor, remittance, payment)
    return remittance


def _post_claim_payment(actor: Actor, remittance: Remittance, data: x835.ClaimPayment) -> None:
    claim = _find_claim(remittance.clinic, data.control_number)
    if data.status == x835.REVERSAL:
        raise x835.RemittanceError(
            f"Claim {claim.control_number}: payment reversals (status 22) are not posted "
            "automatically; record them by hand."
        )
    if data.charge != claim.total:
        raise x835.RemittanceError(
            f"Claim {claim.control_number}: the remittance says it charged {data.charge}, "
            f"the claim is for {claim.total}."
        )
    lines = list(ClaimLine.objects.filter(claim=claim).select_related("charge", "claim"))
    adjustments = [a for a in data.adjustments] + [a for s in data.services for a in s.adjustments]
    link = ClaimRemittance(
        clinic=claim.clinic,
        remittance=remittance,
        claim=claim,
        status=data.status,
        status_label=data.status_label,
        paid=data.paid,
        written_off=Decimal("0.00"),
        patient_responsibility=data.patient_responsibility,
        adjustments=[
            {"group": a.group, "reason": a.reason, "amount": f"{a.amount}"} for a in adjustments
        ],
    )
    if data.denied:
        claim.status = ClaimStatus.DENIED
        claim.denial_reason = (
            "; ".join(f"{a.group}-{a.reason} {a.amount}" for a in adjustments)[:200] or "Denied"
        )
        claim.payer_claim_number = data.payer_claim_number[:50]
        writes.save(
            actor,
            claim,
            Action.UPDATE,
            update_fields=["status", "denial_reason", "payer_claim_number"],
            detail="denied",
        )
        link.save()
        return
    paid_by_line: dict[int, Decimal] = defaultdict(Decimal)
    off_by_line: dict[int, Decimal] = defaultdict(Decimal)
    if data.services:
        for service in data.services:
            line = _find_line(claim, lines, service)
            paid_by_line[line.pk] += service.paid
            off_by_line[line.pk] += sum(
                (a.amount for a in service.adjustments if a.group in WRITTEN_OFF_GROUPS),
                Decimal("0.00"),
            )
    else:
        # No line detail: the payment goes to the lines in order.
        left = data.paid
        for line in lines:
            part = min(left, line.amount)
            paid_by_line[line.pk] += part
            left -= part
    claim_off = sum(
        (a.amount for a in data.adjustments if a.group in WRITTEN_OFF_GROUPS), Decimal("0.00")
    )
    owed = open_amounts([line.charge for line in lines])
    pay_allocations, off_allocations = [], []
    for line in lines:
        open_now = owed[line.charge_id]
        pay = min(paid_by_line[line.pk], open_now)
        open_now -= pay
        off = min(off_by_line[line.pk], open_now)
        open_now -= off
        if claim_off and open_now:
            extra = min(claim_off, open_now)
            off += extra
            claim_off -= extra
        if pay:
            pay_allocations.append((line.charge, pay))
        if off:
            off_allocations.append((line.charge, off))
    reference = f"835 {remittance.trace_number} claim {claim.control_number}"[:60]
    if data.paid > 0:
        link.payment = do_record_payment(
            actor, claim.client, data.paid, Method.INSURANCE, reference, pay_allocations
        )
    written_off = sum((part for _, part in off_allocations), Decimal("0.00"))
    if written_off > 0:
        link.write_off = do_record_payment(
            actor, claim.client, written_off, Method.WRITE_OFF, reference, off_allocations
        )
    link.written_off = written_off
    link.save()
    claim.status = (
        ClaimStatus.PAID if data.paid + written_off >= claim.total else ClaimStatus.PARTLY_PAID
    )
    claim.payer_claim_number = data.payer_claim_number[:50]
    writes.save(
        actor,
        claim,
        Action.UPDATE,
        update_fields=["status", "payer_claim_number"],
        detail=f"remittance {remittance.pk}",
    )
    record(actor, Action.UPDATE, claim.client, detail=f"insurance payment, claim {claim.pk}")


# Files -------------------------------------------------------------------------------------


def do_export_837p(actor: Actor, visits: list[Visit]) -> tuple[str, Submission]:
    """The 837P file for ``visits`` (their claims, made now if they have none), kept as a
    submission. All or nothing."""
    with transaction.atomic():
        claims = claims_for_visits(actor, visits)
        number = next_submission_number(_clinic(actor))
        text = build_837p(build_batch(_clinic(actor), claims, number, timezone.now()))
        submission = do_record_submission(actor, claims, text, number)
    return text, submission


def do_export_cms1500(actor: Actor, visits: list[Visit]) -> tuple[bytes, list[Claim]]:
    """The CMS-1500 pages for ``visits`` (their claims, made now if they have none)."""
    with transaction.atomic():
        claims = claims_for_visits(actor, visits)
        pdf = render_cms1500(cms1500_forms(claims))
        for claim in claims:
            record(actor, Action.EXPORT, claim, detail="CMS-1500 PDF")
    return pdf, claims
