"""Fee schedule, tier assessments (and when they fall due), packages, and the fees command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from touchstone.billing import actions
from touchstone.billing.models import Entry, Fee, fee_on
from touchstone.billing.selectors import billing_panel, package_left
from touchstone.billing.tests.factories import completed, plan, priced_service
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.science.ledger import LedgerError

D = Decimal


def _assess(cast: Cast, client, income: str = "31000", household: int = 3, **extra):
    data = {
        "household_size": household,
        "annual_income": D(income),
        "region": "contiguous",
        "verification": "self_attested",
        "review_on": timezone.localdate() + dt.timedelta(days=365),
    }
    data.update(extra)
    return actions.do_assess_tier(actor_of(cast.fiona), client, data)


def test_the_fee_schedule_keeps_its_history(cast: Cast):
    service = priced_service(cast.harbour)
    actions.do_set_fee(
        actor_of(cast.alice),
        {"service": service, "amount": D("105.00"), "effective_from": dt.date(2026, 3, 1)},
    )
    assert fee_on(service, dt.date(2026, 2, 28)).amount == D("95.00")
    assert fee_on(service, dt.date(2026, 3, 1)).amount == D("105.00")
    assert fee_on(service, dt.date(2019, 12, 31)) is None
    assert Fee.objects.filter(service=service).count() == 2


def test_an_assessment_records_who_how_and_the_guideline_year(cast: Cast):
    actions.do_install_default_tiers(actor_of(cast.alice))
    assessment = _assess(cast, make_client(cast.harbour), verification="document")
    assert (assessment.percent_of_guideline, assessment.guideline_year) == (D("113.5"), 2026)
    assert assessment.tier.name == "B" and assessment.assessed_by == cast.fiona
    assert assessment.history.count() == 1


def test_an_expired_assessment_shows_as_due(cast: Cast):
    actions.do_install_default_tiers(actor_of(cast.alice))
    client = make_client(cast.harbour)
    assert billing_panel(client).assessment_due  # never assessed
    assessment = _assess(cast, client)
    assert not billing_panel(client).assessment_due
    assert assessment.is_due(assessment.review_on + dt.timedelta(days=1))


def test_an_assessment_needs_tiers_and_a_verified_region(cast: Cast):
    client = make_client(cast.harbour)
    with pytest.raises(ValidationError, match="no fee tiers"):
        _assess(cast, client)
    actions.do_install_default_tiers(actor_of(cast.alice))
    with pytest.raises(ValidationError, match="Alaska"):
        _assess(cast, client, region="alaska")


def test_tiers_that_leave_an_income_uncovered_are_refused(cast: Cast):
    with pytest.raises(ValidationError, match="no upper bound"):
        actions.do_create_tier(
            actor_of(cast.alice), {"name": "A", "up_to_percent": D(100), "fee_percent": D(0)}
        )


def test_a_visit_draws_from_a_package_until_it_is_empty(cast: Cast):
    client = make_client(cast.harbour)
    package = actions.do_sell_package(actor_of(cast.fiona), client, plan(cast.harbour, visits=2))
    sale = Entry.objects.get(package=package, basis="package_sale")
    assert sale.delta == D("600.00")
    for days_ago in (3, 2):
        entry = actions.do_charge_appointment(
            actor_of(cast.fiona), completed(cast.harbour, client, days_ago)
        )
        assert entry is not None and (entry.basis, entry.delta) == ("package", D("0.00"))
    assert package_left(package) == 0
    third = actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, client))
    assert third is not None and third.basis == "full"  # the empty package is not used
    with pytest.raises(LedgerError, match="no visits left"):
        actions.check_package(package, completed(cast.harbour, client))


def test_an_expired_package_is_refused_with_its_date(cast: Cast):
    client = make_client(cast.harbour)
    package = actions.do_sell_package(actor_of(cast.fiona), client, plan(cast.harbour))
    late = completed(cast.harbour, client, days_ago=0)
    package_expiry = timezone.localdate(late.starts_at) - dt.timedelta(days=1)
    type(package).objects.filter(pk=package.pk).update(expires_on=package_expiry)
    package.refresh_from_db()
    with pytest.raises(LedgerError, match=f"expired on {package_expiry:%Y-%m-%d}"):
        actions.do_charge_appointment(actor_of(cast.fiona), late, package=package)
    assert not Entry.objects.filter(appointment=late).exists()


def test_reversing_a_package_visit_gives_the_visit_back(cast: Cast):
    client = make_client(cast.harbour)
    package = actions.do_sell_package(actor_of(cast.fiona), client, plan(cast.harbour))
    entry = actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, client))
    assert package_left(package) == 7
    actions.do_reverse(actor_of(cast.alice), entry, "Visit did not happen")
    assert package_left(package) == 8


def test_the_fees_command_prints_the_tier_and_percent():
    out = StringIO()
    call_command("fees", "tier", "--income", "31000", "--household", "3", stdout=out)
    text = out.getvalue()
    assert "113.5% of the 2026 HHS poverty guideline" in text and "tier: B" in text


def test_the_fees_command_refuses_an_unverified_region():
    with pytest.raises(CommandError, match="Alaska"):
        call_command("fees", "tier", "--income", "1", "--household", "1", "--region", "alaska")


def test_a_community_slot_is_booked_once_and_charged_at_its_tier(cast: Cast):
    from touchstone.billing.access_report import access_report
    from touchstone.billing.models import FeeTier
    from touchstone.scheduling.models import Status
    from touchstone.scheduling.tests.factories import local, next_weekday

    pro_bono = FeeTier.objects.create(
        clinic=cast.harbour, name="Pro bono", up_to_percent=None, fee_percent=D(0)
    )
    start = local(next_weekday(), 10, clinic=cast.harbour)
    slot = actions.do_set_aside_slot(
        actor_of(cast.alice),
        {"staff": cast.tess, "starts_at": start, "ends_at": start + dt.timedelta(hours=1),
         "tier": pro_bono},
    )  # fmt: skip
    client, service = make_client(cast.harbour), priced_service(cast.harbour)
    appointment = actions.do_book_community_slot(actor_of(cast.fiona), slot, client, service)
    with pytest.raises(LedgerError, match="already booked"):
        actions.do_book_community_slot(actor_of(cast.fiona), slot, client, service)
    type(appointment).objects.filter(pk=appointment.pk).update(status=Status.COMPLETED)
    appointment.refresh_from_db()
    entry = actions.do_charge_appointment(actor_of(cast.fiona), appointment)
    assert entry is not None and (entry.basis, entry.delta, entry.tier) == (
        "tier",
        D("0.00"),
        pro_bono,
    )
    row = next(r for r in access_report(cast.harbour).rows if r.tier == "Pro bono")
    assert (row.slots, row.slots_used) == (1, 1)
