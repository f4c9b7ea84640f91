"""835 import: payments and contractual write-offs posted to the claim's charge lines, the
client keeps what the payer says is theirs, denials flagged; a malformed or unbalanced file
is refused with a specific message and nothing is written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from touchstone.audit.models import AuditEvent
from touchstone.billing.models import Allocation, Entry, Method
from touchstone.billing.selectors import open_amounts
from touchstone.claims import actions, x835
from touchstone.claims.models import Claim, ClaimRemittance, ClaimStatus, Remittance
from touchstone.claims.tests.factories import (
    billing_ready,
    charged_visit,
    diagnosed_episode,
    insured_client,
    with_npi,
)
from touchstone.claims.tests.x12check import x12_errors
from touchstone.conftest import Cast, actor_of

D = Decimal
A = x835.Adjustment


@pytest.fixture
def claim(cast: Cast) -> Claim:
    billing_ready(cast.harbour)
    with_npi(cast.tess)
    client = insured_client(cast.harbour)
    episode = diagnosed_episode(cast.harbour, client)
    visits = [
        charged_visit(cast.harbour, client, episode, days_ago=d, staff=cast.tess) for d in (9, 2)
    ]
    actions.do_export_837p(actor_of(cast.fiona), visits)
    return Claim.objects.get()


def _file(claims: tuple[x835.ClaimPayment, ...], total: str, trace: str = "EFT1") -> str:
    remittance = x835.Remittance(
        D(total), "CHK", dt.date(2026, 2, 10), trace, "ACME HEALTH", "ACME1", claims
    )
    return x835.build_835(
        remittance,
        sender_id="ACME1",
        receiver_id="TOUCHSTONE1",
        payee_name="Harbour Massage",
        payee_npi="1234567893",
        control_number=5,
        created_at=dt.datetime(2026, 2, 10, 8, 0),
    )


def _paid(claim: Claim, first: str, second_pr: str = "0") -> str:
    lines = list(claim.lines.order_by("position"))
    services = (
        x835.ServicePayment(
            "97124",
            D("95.00"),
            D(first),
            4,
            lines[0].control_number,
            lines[0].day,
            (A("CO", "45", D("95.00") - D(first)),),
        ),
        x835.ServicePayment(
            "97124",
            D("95.00"),
            D("95.00") - D(second_pr),
            4,
            lines[1].control_number,
            lines[1].day,
            (A("PR", "1", D(second_pr)),) if D(second_pr) else (),
        ),
    )
    paid = D(first) + D("95.00") - D(second_pr)
    payment = x835.ClaimPayment(
        claim.control_number,
        "1",
        D("190.00"),
        paid,
        D(second_pr),
        "PAYER-9",
        (),
        services,
        ("EXAMPLE", "DANA", "MEM123"),
    )
    return _file((payment,), f"{paid}")


def test_it_posts_the_payment_and_writes_off_the_contractual_part(cast: Cast, claim: Claim):
    text = _paid(claim, "70.00", second_pr="20.00")
    assert x12_errors(text) == []
    actions.do_import_835(actor_of(cast.fiona), text)
    link = ClaimRemittance.objects.get()
    assert link.paid == D("145.00") and link.written_off == D("25.00")
    assert link.payment.method == Method.INSURANCE and link.write_off.method == Method.WRITE_OFF
    lines = list(claim.lines.order_by("position").select_related("charge"))
    owed = open_amounts([line.charge for line in lines])
    # Line 1: 70 paid + 25 contractual = 95; line 2: the client's 20 (PR) stays open.
    assert [owed[line.charge_id] for line in lines] == [D("0.00"), D("20.00")]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PARTLY_PAID and claim.payer_claim_number == "PAYER-9"


def test_a_denial_is_flagged_and_posts_nothing(cast: Cast, claim: Claim):
    denial = x835.ClaimPayment(
        claim.control_number,
        "4",
        D("190.00"),
        D("0.00"),
        D("0.00"),
        "PAYER-10",
        (A("CO", "50", D("190.00")),),
        (),
        ("EXAMPLE", "DANA", "MEM123"),
    )
    text = _file((denial,), "0")
    assert x12_errors(text) == []
    entries = Entry.objects.count()
    actions.do_import_835(actor_of(cast.fiona), text)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DENIED and "CO-50" in claim.denial_reason
    assert Entry.objects.count() == entries


def _refused(cast: Cast, text: str, message: str) -> None:
    before = (
        Entry.objects.count(),
        Allocation.objects.count(),
        Remittance.objects.count(),
        AuditEvent.objects.count(),
        list(Claim.objects.values_list("status", flat=True)),
    )
    with pytest.raises(x835.RemittanceError, match=message):
        actions.do_import_835(actor_of(cast.fiona), text)
    after = (
        Entry.objects.count(),
        Allocation.objects.count(),
        Remittance.objects.count(),
        AuditEvent.objects.count(),
        list(Claim.objects.values_list("status", flat=True)),
    )
    assert after == before


def test_an_unbalanced_remittance_is_refused(cast: Cast, claim: Claim):
    text = _paid(claim, "70.00").replace("BPR*I*165*", "BPR*I*999*")
    _refused(cast, text, "does not balance: BPR02 says 999.00")


def test_a_line_that_does_not_balance_is_refused(cast: Cast, claim: Claim):
    text = _paid(claim, "70.00").replace("CAS*CO*45*25~", "CAS*CO*45*24~")
    _refused(cast, text, "line 97124 does not balance")


def test_a_bad_amount_names_its_segment(cast: Cast, claim: Claim):
    text = _paid(claim, "70.00").replace("SVC*HC:97124*95*70*", "SVC*HC:97124*95*7O*")
    _refused(cast, text, r"Segment \d+ \(SVC\): '7O' is not an amount")


def test_not_an_835_is_refused(cast: Cast, claim: Claim):
    _refused(cast, "hello", "not an X12 file")
    text, _ = actions.do_export_837p(actor_of(cast.fiona), [claim.lines.first().visit])
    _refused(cast, text, "not an 835")


def test_an_unknown_claim_is_refused_and_earlier_claims_are_not_posted(cast: Cast, claim: Claim):
    good = _paid(claim, "70.00")
    stranger = "LX*2~\nCLP*TS999-1*1*10*10**12*X~\nNM1*QC*1*X~\nSVC*HC:97124*10*10**1~\n"
    text = good.replace("SE*", stranger + "SE*").replace("BPR*I*165*", "BPR*I*175*")
    _refused(cast, text, "TS999-1 in the remittance is not a claim of this clinic")


def test_the_same_remittance_twice_is_refused(cast: Cast, claim: Claim):
    text = _paid(claim, "70.00")
    actions.do_import_835(actor_of(cast.fiona), text)
    _refused(cast, text, "already imported")
