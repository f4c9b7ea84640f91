"""Demo insurance for the demo clinic (deterministic for the seed): two payers, claim
settings, the therapist's NPI, coverage for a few clients whose episodes carry a licensed
diagnosis, their completed visits charged and claimed in one 837P file, and one 835 that pays
two claims (with contractual write-offs and a patient share) and denies the third."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.accounts.roles import Role, roles_with
from touchstone.audit.actor import Actor
from touchstone.billing.actions import do_charge_appointment
from touchstone.billing.models import ClientPackage
from touchstone.care.models import Diagnosis, Visit, VisitStatus
from touchstone.claims import actions, x835
from touchstone.claims.models import ClaimSettings, Coverage, Payer, ProviderNumbers
from touchstone.clients.demo import DemoContext
from touchstone.scheduling.models import Appointment, Location, Service, Status

#: Synthetic numbers: a valid NPI check digit, not a real provider.
DEMO_THERAPIST_NPI = "1245319599"
#: Clients with coverage and claims (the first of the demo with a licensed diagnosis).
N_INSURED = 3
VISITS_PER_CLAIM = 2


def add_claims_data(ctx: DemoContext) -> None:
    # Built once, with the clinic's first batch of clients (after the care and billing demo).
    if not ctx.first:
        return
    clinic, rng = ctx.clinic, ctx.rng
    actor = Actor.of_member(ctx.staff[Role.FRONT_DESK], "cli")
    owner = Actor.of_member(ctx.staff[Role.OWNER], "cli")
    therapist = ctx.staff[Role.THERAPIST]
    service = Service.objects.filter(clinic=clinic, billing_code="97124").order_by("pk").first()
    location = Location.objects.filter(clinic=clinic).order_by("pk").first()
    if service is None or location is None or not clinic.npi:
        return  # the billing and reports demo come first
    ClaimSettings.objects.create(
        clinic=clinic,
        submitter_id="TSDEMO",
        receiver_id="DEMOCLEARING",
        receiver_name="Demo Clearinghouse (synthetic)",
        contact_name="Front desk",
        contact_phone="5550100100",
        taxonomy="225700000X",
        street="1 Example Quay",
        city="Springfield",
        state="IL",
        zip_code="627010001",
    )
    ProviderNumbers.objects.create(
        clinic=clinic, staff=therapist, npi=DEMO_THERAPIST_NPI, taxonomy="225700000X",
        licence="LMT-000001 (synthetic)", licence_state="IL",
    )  # fmt: skip
    payers = [
        actions.do_save_payer(owner, {"name": name, "payer_id": pid, "filing_indicator": "CI"})
        for name, pid in (("Acme Health (synthetic)", "ACME1"), ("Lakeside Mutual", "LKSD2"))
    ]
    visits = _claimable_visits(ctx, therapist, service, location, actor)
    if not visits:
        return
    _, submission = actions.do_export_837p(actor, visits)
    claims = list(submission.claims.order_by("number"))
    _remit(actor, claims, payers[0], rng.random(), ctx.today)


def _claimable_visits(
    ctx: DemoContext, therapist: StaffMember, service: Service, location: Location, actor: Actor
) -> list[Visit]:
    clinic = ctx.clinic
    licensed = set(
        Diagnosis.objects.filter(
            clinic=clinic, entered_by__role__in=roles_with("diagnoses.edit")
        ).values_list("episode_id", flat=True)
    )
    chosen: list[Visit] = []
    insured = 0
    by_client: dict[int, list[Visit]] = {}
    # Clients with a prepaid package draw their visits from it: nothing to claim.
    prepaid = set(ClientPackage.objects.filter(clinic=clinic).values_list("client_id", flat=True))
    for visit in Visit.objects.exclude(client_id__in=prepaid).filter(
        clinic=clinic, therapist=therapist, status=VisitStatus.COMPLETED, episode_id__in=licensed,
        duration_min__gte=8, appointment__isnull=True,
    ).order_by("client_id", "starts_at", "pk"):  # fmt: skip
        by_client.setdefault(visit.client_id, []).append(visit)
    for client_visits in by_client.values():
        if insured == N_INSURED:
            break
        days: set[dt.date] = set()
        picked: list[Visit] = []
        for visit in client_visits:
            day = timezone.localdate(visit.starts_at, clinic.zone)
            if day in days or len(picked) == VISITS_PER_CLAIM:
                continue
            try:
                with transaction.atomic():
                    appointment = Appointment.objects.create(
                        clinic=clinic, client=visit.client, staff=visit.therapist, service=service,
                        location=location, starts_at=visit.starts_at,
                        ends_at=visit.starts_at + dt.timedelta(minutes=visit.duration_min),
                        status=Status.COMPLETED, visit=visit,
                    )  # fmt: skip
            except IntegrityError:
                continue  # the therapist has a booking then: take another visit
            charge = do_charge_appointment(actor, appointment)
            if charge is None or charge.delta <= 0:
                continue
            days.add(day)
            picked.append(visit)
        if not picked:
            continue
        insured += 1
        Coverage.objects.create(
            clinic=clinic, client=picked[0].client, payer=Payer.objects.get(clinic=clinic,
            payer_id="ACME1"), plan_name="PPO (synthetic)", member_id=f"DEMO{1000 + insured}",
            group_number="GRP-DEMO", street="1 Example Street", city="Springfield", state="IL",
            zip_code="62701", valid_from=dt.date(2020, 1, 1),
            prior_authorization="PA-DEMO-1" if insured == 1 else "",
            authorized_visits=12 if insured == 1 else None,
        )  # fmt: skip
        chosen.extend(picked)
    return chosen


def _remit(actor: Actor, claims: list, payer: Payer, roll: float, today: dt.date) -> None:
    """The payer's answer: the first claim paid at 80 % (the rest contractual), the second
    at 80 % of its first line with the client's 20 % share, the third denied."""
    payments = []
    for index, claim in enumerate(claims[:3]):
        lines = list(claim.lines.order_by("position"))
        patient = (claim.client.family_name.upper(), claim.client.given_name.upper(),
                   claim.coverage.member_id)  # fmt: skip
        if index == 2:
            payments.append(x835.ClaimPayment(
                claim.control_number, x835.DENIED, claim.total, Decimal("0.00"), Decimal("0.00"),
                f"DEMO-{claim.number}", (x835.Adjustment("CO", "50", claim.total),), (), patient,
            ))  # fmt: skip
            continue
        services = []
        for line in lines:
            paid = (line.amount * Decimal("0.8")).quantize(Decimal("0.01"))
            group = "CO" if index == 0 else "PR"
            services.append(x835.ServicePayment(
                line.code, line.amount, paid, line.units, line.control_number, line.day,
                (x835.Adjustment(group, "45" if group == "CO" else "2", line.amount - paid),),
            ))  # fmt: skip
        paid_total = sum((s.paid for s in services), Decimal("0.00"))
        share = claim.total - paid_total if index == 1 else Decimal("0.00")
        payments.append(x835.ClaimPayment(
            claim.control_number, "1", claim.total, paid_total, share, f"DEMO-{claim.number}",
            (), tuple(services), patient,
        ))  # fmt: skip
    total = sum((p.paid for p in payments), Decimal("0.00"))
    stamp = dt.datetime.combine(today, dt.time(9), tzinfo=claims[0].clinic.zone)
    text = x835.build_835(
        x835.Remittance(total, "CHK", today, f"DEMO-EFT-{int(roll * 1e6):06d}", payer.name.upper(),
                        payer.payer_id, tuple(payments)),
        sender_id=payer.payer_id, receiver_id="TSDEMO", payee_name=claims[0].clinic.name,
        payee_npi=claims[0].clinic.npi, control_number=1, created_at=stamp,
    )  # fmt: skip
    actions.do_import_835(actor, text)
