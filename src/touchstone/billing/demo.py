"""Demo money for the demo clinic (deterministic for the seed): services with a fee schedule
that rose this year, the default sliding-scale tiers with some clients on each, an 8-visit
package some clients bought, a no-show fee, past appointments charged at each client's fee,
payments (a few partial, so some balances are open) and a refund."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from touchstone.accounts.roles import Role
from touchstone.audit.actor import Actor
from touchstone.billing import actions
from touchstone.billing.models import BillingPolicy, Fee, PackagePlan
from touchstone.billing.selectors import client_balance
from touchstone.clients.demo import DemoContext
from touchstone.scheduling.models import Appointment, Location, Service, Status

#: Clients with money records (the first ones of the demo clinic).
N_CLIENTS = 60
SERVICES = [
    ("Swedish massage 60", 60, "97124", "95.00", "100.00"),
    ("Swedish massage 90", 90, "97124", "135.00", "140.00"),
    ("Myofascial release 60", 60, "97140", "105.00", "110.00"),
]


def add_billing_data(ctx: DemoContext) -> None:
    clinic, rng, today = ctx.clinic, ctx.rng, ctx.today
    # The front desk assesses, sells and takes payments (a sale names who sold it).
    actor = Actor.of_member(ctx.staff[Role.FRONT_DESK], "cli")
    location = Location.objects.create(clinic=clinic, name="Main")
    services = []
    for name, minutes, code, old, new in SERVICES:
        service = Service.objects.create(
            clinic=clinic, name=name, duration_min=minutes, billing_code=code
        )
        Fee.objects.create(
            clinic=clinic, service=service, amount=Decimal(old), effective_from=dt.date(2025, 1, 1)
        )
        Fee.objects.create(
            clinic=clinic,
            service=service,
            amount=Decimal(new),
            effective_from=dt.date(today.year, 1, 1),
            note="yearly review",
        )
        services.append(service)
    actions.do_install_default_tiers(ctx.actor)
    BillingPolicy.objects.create(
        clinic=clinic, no_show_fee=Decimal("40.00"), late_cancel_fee=Decimal("25.00")
    )
    plan = PackagePlan.objects.create(
        clinic=clinic,
        name="Course of 8 (60 min)",
        visits=8,
        price=Decimal("680.00"),
        valid_days=180,
        service=services[0],
    )
    therapist = ctx.staff[Role.THERAPIST]
    slot = 0
    for client in ctx.clients[:N_CLIENTS]:
        roll = rng.random()
        if roll < 0.5:
            assessed = today - dt.timedelta(days=rng.choice([375, 100, 30]))  # some now due
            actions.do_assess_tier(
                actor,
                client,
                {
                    "household_size": rng.randint(1, 5),
                    "annual_income": Decimal(rng.randrange(9000, 90000, 500)),
                    "region": "contiguous",
                    "verification": rng.choice(["document", "self_attested"]),
                    "assessed_on": assessed,
                    "review_on": assessed + dt.timedelta(days=365),
                },
            )
        if 0.5 <= roll < 0.65:
            actions.do_sell_package(actor, client, plan)
        for _ in range(rng.randint(1, 4)):
            slot += 1
            # Two hours apart, five a day: no appointment (90 minutes at most) overlaps.
            start = dt.datetime.combine(
                today - dt.timedelta(days=1 + slot // 5),
                dt.time(8 + 2 * (slot % 5)),
                tzinfo=clinic.zone,
            )
            service = services[0] if roll < 0.65 else rng.choice(services)
            status = Status.NO_SHOW if rng.random() < 0.05 else Status.COMPLETED
            appointment = Appointment.objects.create(
                clinic=clinic,
                client=client,
                staff=therapist,
                service=service,
                location=location,
                starts_at=start,
                ends_at=start + service.duration,
                status=status,
            )
            actions.do_charge_appointment(actor, appointment)
        owed = client_balance(client)
        if owed > 0 and rng.random() < 0.8:
            share = Decimal(1) if rng.random() < 0.7 else Decimal("0.5")
            amount = (owed * share).quantize(Decimal("0.01"))
            method = rng.choice(["card", "card", "cash", "check", "bank"])
            payment = actions.do_record_payment(actor, client, amount, method)
            if rng.random() < 0.05:
                actions.do_refund(actor, payment, Decimal("10.00"), "Overpaid")
