"""Issue 14's Done-when, in a real browser: the front desk runs a client through a tier
assessment, a package purchase, a visit drawn from the package, a no-show fee, a payment and
a receipt. The therapist's part (documenting the visit, which completes the appointment) is
done through the same action the visit page calls; everything else is clicks."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from touchstone.billing import actions
from touchstone.billing.models import BillingPolicy, Entry, PackageDraw
from touchstone.billing.tests.factories import plan, priced_service
from touchstone.care.actions import do_update_visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.scheduling.models import Appointment, Status
from touchstone.scheduling.tests.factories import make_appointment
from touchstone.tests.browser.axe import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_front_desk_takes_a_client_from_tier_to_receipt(
    cast: Cast, live_server: Any, page: Any, screenshot: Any
):
    clinic, url = cast.harbour, live_server.url
    actions.do_install_default_tiers(actor_of(cast.alice))
    plan(clinic, name="Course of 8", price=Decimal("600.00"))
    BillingPolicy.objects.create(clinic=clinic, no_show_fee=Decimal("40.00"))
    service = priced_service(clinic)
    client = make_client(clinic, given_name="Rosa", family_name="Quintero")
    now = timezone.localtime()
    start = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=2)
    if start.date() != now.date():  # just after midnight: keep the visit today
        start = now - dt.timedelta(minutes=61)
    visit_appt = make_appointment(clinic, cast.tess, client, start, service=service)
    missed = make_appointment(
        clinic, cast.tess, client, start + dt.timedelta(days=-1), service=service
    )
    problems: list[str] = []

    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("fiona")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))

    # Tier assessment: household of 3, $31,000 a year, document seen -> tier B (113.5 %).
    page.goto(f"{url}/clients/{client.pk}/billing/")
    page.locator("#id_household_size").fill("3")
    page.locator("#id_annual_income").fill("31000")
    page.locator("#id_verification").select_option("document")
    page.get_by_role("button", name="Assess tier").click()
    page.get_by_text("Tier assessed.").wait_for()
    assert "B (33% of the fee)" in page.locator("#tier").inner_text()
    assert "113.5%" in page.content()

    # Package purchase.
    page.locator("#id_plan").select_option(label="Course of 8 (8 visits)")
    page.get_by_role("button", name="Sell package").click()
    page.get_by_text("Package sold.").wait_for()
    screenshot("money-01-account")
    problems += [f"account: {v}" for v in serious_violations(page)]

    # Check-in by the front desk; the therapist documents and completes the visit.
    page.goto(f"{url}/calendar/appointments/{visit_appt.pk}/")
    page.get_by_role("button", name="Check in").click()
    page.get_by_text("Arrived").first.wait_for()
    visit_appt.refresh_from_db()
    do_update_visit(actor_of(cast.tess), visit_appt.visit, {"status": "completed"})
    visit_appt.refresh_from_db()
    assert visit_appt.status == Status.COMPLETED
    assert PackageDraw.objects.get(appointment=visit_appt).visits == 1

    # A no-show on the missed appointment posts the policy's fee.
    page.goto(f"{url}/calendar/appointments/{missed.pk}/")
    page.get_by_role("button", name="No-show").click()
    page.get_by_text("No-show:").wait_for()

    # The account shows the package visit, the no-show fee and the balance; take a payment.
    page.goto(f"{url}/clients/{client.pk}/billing/")
    ledger = page.locator("#ledger").inner_text()
    assert "Drawn from a package" in ledger and "No-show fee" in ledger
    assert "7 of 8" in page.locator(".package-left").first.inner_text()
    assert page.locator("#balance").inner_text() == "640.00"
    page.locator("#id_amount").fill("640.00")
    page.locator("#id_method").select_option("card")
    page.locator("#id_reference").fill("T-1001")
    page.get_by_role("button", name="Record payment").click()
    page.get_by_text("Payment recorded.").wait_for()
    assert page.locator("#balance").inner_text() == "0.00"
    screenshot("money-02-paid")

    # The receipt.
    with page.expect_download() as download:
        page.get_by_role("link", name="Receipt (PDF)").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert Entry.objects.filter(client=client, kind="payment").count() == 1
    assert Appointment.objects.get(pk=missed.pk).status == Status.NO_SHOW
    assert problems == []
