"""The payer report's cost comes from what was charged and paid (the ledger), and falls back
to the list price, labelled, where the period has no ledger charge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from touchstone.billing import actions
from touchstone.billing.models import BillingPolicy
from touchstone.billing.tests.factories import completed
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.reports.payer import build_payer_report
from touchstone.reports.tests.factories import full_client
from touchstone.scheduling.models import Status

D = Decimal


def test_the_payer_report_costs_what_was_charged_and_says_what_was_paid(cast: Cast):
    clinic = cast.harbour
    clinic.fee_97124 = D("30")
    clinic.save(update_fields=["fee_97124"])
    full_client(clinic, cast.bob, cast.tess, n_visits=2)
    today = timezone.localdate()
    listed = build_payer_report(clinic, today - dt.timedelta(days=120), today)
    assert listed.charges_basis == "list price" and listed.charges == D(30) * listed.n_units

    client = make_client(clinic)
    first = actions.do_charge_appointment(actor_of(cast.fiona), completed(clinic, client, 3))
    actions.do_charge_appointment(actor_of(cast.fiona), completed(clinic, client, 2))
    actions.do_reverse(actor_of(cast.alice), first, "Wrong service")
    BillingPolicy.objects.create(clinic=clinic, no_show_fee=D("40"))
    actions.do_charge_appointment(
        actor_of(cast.fiona), completed(clinic, client, 1, status=Status.NO_SHOW)
    )
    payment = actions.do_record_payment(actor_of(cast.fiona), client, "95.00", "card")
    actions.do_refund(actor_of(cast.fiona), payment, "5.00")
    charged = build_payer_report(clinic, today - dt.timedelta(days=120), today)
    # Two visits of 95.00, one reversed; the no-show fee is not care.
    assert (charged.charges_basis, charged.charges, charged.paid) == (
        "charged",
        D("95.00"),
        D("90.00"),
    )
