"""The money pages: the front desk's account page and forms, the owner's fees page, one's
own charges; outsiders are refused, refusals write nothing."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from touchstone.billing import actions
from touchstone.billing.models import Entry, FeeTier, TierAssessment
from touchstone.billing.tests.factories import completed, payment, plan, priced_service
from touchstone.conftest import Cast, actor_of, make_client

D = Decimal


def test_it_shows_the_account_to_the_front_desk(cast: Cast):
    client = make_client(cast.harbour)
    actions.do_charge_appointment(actor_of(cast.fiona), completed(cast.harbour, client))
    response = cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/billing/")
    assert response.status_code == 200
    assert b"95.00" in response.content and b"due" in response.content


def test_it_refuses_another_clinics_client(cast: Cast):
    client = make_client(cast.northside)
    assert cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/billing/").status_code == 404


def test_therapists_do_not_see_accounts_but_their_own_charges(cast: Cast):
    client = make_client(cast.harbour)
    actions.do_charge_appointment(
        actor_of(cast.fiona), completed(cast.harbour, client, staff=cast.tess)
    )
    actions.do_charge_appointment(
        actor_of(cast.fiona),
        completed(cast.harbour, client, service=priced_service(cast.harbour, "70.00", name="B")),
    )
    tess = cast.browser_for(cast.tess)
    assert tess.get(f"/clients/{client.pk}/billing/").status_code == 403
    mine = tess.get("/billing/mine/")
    assert mine.status_code == 200 and b"95.00" in mine.content
    assert b"70.00" not in mine.content  # Alice's visit


def test_the_front_desk_runs_a_client_through_tier_package_and_payment(cast: Cast):
    actions.do_install_default_tiers(actor_of(cast.alice))
    client, desk = make_client(cast.harbour), cast.browser_for(cast.fiona)
    desk.post(
        f"/clients/{client.pk}/billing/assess/",
        {
            "household_size": "3",
            "annual_income": "31000",
            "region": "contiguous",
            "verification": "document",
            "review_on": "2030-01-01",
        },
    )
    assert TierAssessment.objects.get(client=client).tier.name == "B"
    desk.post(f"/clients/{client.pk}/billing/packages/", {"plan": plan(cast.harbour).pk})
    desk.post(f"/clients/{client.pk}/billing/payments/", {"amount": "600.00", "method": "card"})
    assert sum(e.delta for e in Entry.objects.filter(client=client)) == D("0.00")


def test_a_refused_payment_says_why_and_writes_nothing(cast: Cast):
    client = make_client(cast.harbour)
    desk = cast.browser_for(cast.fiona)
    response = desk.post(
        f"/clients/{client.pk}/billing/payments/", {"amount": "-3", "method": "cash"}, follow=True
    )
    assert b"Ensure this value is greater than or equal to 0.01" in response.content
    response = desk.post(
        f"/clients/{client.pk}/billing/payments/",
        {"amount": "10", "method": "write_off"},
        follow=True,
    )
    assert b"the owner" in response.content
    assert not Entry.objects.filter(client=client).exists()


def test_an_over_refund_is_refused_with_a_message(cast: Cast):
    paid = payment(cast.harbour, "50.00")
    response = cast.browser_for(cast.fiona).post(
        f"/billing/entries/{paid.pk}/refund/", {"amount": "60.00"}, follow=True
    )
    assert b"more than what is left" in response.content
    assert not Entry.objects.filter(refund_of=paid).exists()


def test_only_the_owner_reverses(cast: Cast):
    paid = payment(cast.harbour)
    url = f"/billing/entries/{paid.pk}/reverse/"
    assert cast.browser_for(cast.fiona).post(url, {"reason": "typo"}).status_code == 403
    cast.browser_for(cast.alice).post(url, {"reason": "typo"})
    assert Entry.objects.filter(reverses=paid).exists()


def test_the_receipt_is_a_pdf_for_the_front_desk(cast: Cast):
    paid = payment(cast.harbour)
    response = cast.browser_for(cast.fiona).get(f"/billing/entries/{paid.pk}/receipt.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_owner_sets_tiers_on_the_fees_page(cast: Cast):
    owner = cast.browser_for(cast.alice)
    assert cast.browser_for(cast.fiona).get("/billing/fees/").status_code == 403
    owner.post("/billing/fees/", {"form": "default_tiers"})
    assert FeeTier.objects.filter(clinic=cast.harbour).count() == 4
    response = owner.post(
        "/billing/fees/", {"form": "tier", "name": "Z", "up_to_percent": "", "fee_percent": "90"}
    )
    assert b"Exactly one tier" in response.content
    assert FeeTier.objects.filter(clinic=cast.harbour).count() == 4


def test_the_access_report_hides_small_counts_and_downloads_as_csv(cast: Cast):
    actions.do_install_default_tiers(actor_of(cast.alice))
    for _ in range(3):
        client = make_client(cast.harbour)
        actions.do_assess_tier(
            actor_of(cast.fiona),
            client,
            {"household_size": 1, "annual_income": D(9000), "region": "contiguous",
             "verification": "document", "review_on": timezone.localdate().replace(year=2099)},
        )  # fmt: skip
    owner = cast.browser_for(cast.alice)
    assert cast.browser_for(cast.fiona).get("/billing/access/").status_code == 403
    page = owner.get("/billing/access/")
    assert page.status_code == 200 and b"A (pro bono)" in page.content
    csv = owner.get("/billing/access/?format=csv").content.decode()
    first = csv.splitlines()[1].split(",")
    assert first[0] == "A (pro bono)" and first[2] == ""  # 3 clients: hidden
