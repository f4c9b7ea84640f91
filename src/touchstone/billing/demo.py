"""Demo money for the demo clinic, on the calendar's own services and appointments
(``scheduling.demo``; registered in ``DEMO_EXTENSIONS`` after it, see ``apps.py``).

Once, after the last batch of clients (the demo builds in batches of 500, and the calendar
exists only then): each calendar service gets a fee schedule that rose this year, the default
sliding-scale tiers and a missed-appointment policy are set, some of the clients the calendar
booked are assessed on a tier (some assessments now due) or buy an 8-visit package, every
completed appointment is charged at its client's fee (drawn from the package, tier or full),
no-shows and late cancellations get the policy's fee, then payments (a few partial, so some
balances stay open), a refund or two and an invoice per client. Deterministic for a seed: the
clients and appointments are read in primary-key and time order and every choice comes from
``context.rng``; the amount of work is bounded by the calendar (a few hundred appointments),
not by the number of clients.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from touchstone.accounts.roles import Role
from touchstone.audit.actor import Actor
from touchstone.billing import actions
from touchstone.billing.models import BillingPolicy, Fee, PackagePlan
from touchstone.billing.selectors import client_balance
from touchstone.clients.demo import DemoContext
from touchstone.clients.models import Client
from touchstone.scheduling.demo import SERVICES as CALENDAR_SERVICES
from touchstone.scheduling.models import Appointment, Service, Status

#: Last year's and this year's full fee of each calendar service (by its name).
FEES = {
    "Swedish massage 60": ("90.00", "95.00"),
    "Deep tissue massage 60": ("100.00", "105.00"),
    "Myofascial release 45": ("75.00", "80.00"),
    "Prenatal massage 60": ("95.00", "100.00"),
}
assert set(FEES) == {row[0] for row in CALENDAR_SERVICES}, "a calendar service has no demo fee"
PACKAGE_SERVICE = "Swedish massage 60"
#: Appointments that owe something once they happened or were missed late.
CHARGED = (Status.COMPLETED, Status.NO_SHOW, Status.LATE_CANCELLED)


def add_billing_data(ctx: DemoContext) -> None:
    if not ctx.last:
        return  # once, after the last batch and after the calendar (it is built then too)
    clinic, rng, today = ctx.clinic, ctx.rng, ctx.today
    services = {s.name: s for s in Service.objects.filter(clinic=clinic)}
    if not services:
        return  # no calendar (it was not registered): nothing to charge
    # The front desk assesses, sells and takes payments (a sale names who sold it).
    actor = Actor.of_member(ctx.staff[Role.FRONT_DESK], "cli")
    for name, service in sorted(services.items()):
        old, new = FEES.get(name, ("95.00", "100.00"))
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
        service=services.get(PACKAGE_SERVICE),
    )
    appointments = list(
        Appointment.objects.filter(clinic=clinic, status__in=CHARGED)
        .select_related("client", "service", "staff", "clinic")
        .order_by("starts_at", "id")
    )
    client_ids = sorted({a.client_id for a in appointments})
    clients = {c.pk: c for c in Client.objects.filter(pk__in=client_ids)}
    for client_id in client_ids:
        client = clients[client_id]
        roll = rng.random()
        if roll < 0.5:
            assessed = today - dt.timedelta(days=rng.choice([375, 100, 40]))  # some now due
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
        elif roll < 0.62:
            actions.do_sell_package(actor, client, plan)
    for appointment in appointments:
        actions.do_charge_appointment(actor, appointment)
    for client_id in client_ids:
        client = clients[client_id]
        owed = client_balance(client)
        if owed > 0 and rng.random() < 0.8:
            share = Decimal(1) if rng.random() < 0.7 else Decimal("0.5")
            amount = (owed * share).quantize(Decimal("0.01"))
            method = rng.choice(["card", "card", "cash", "check", "bank"])
            payment = actions.do_record_payment(actor, client, amount, method)
            if rng.random() < 0.05:
                actions.do_refund(actor, payment, min(amount, Decimal("10.00")), "Overpaid")
        if rng.random() < 0.5:
            actions.do_issue_invoice(actor, client)
