"""Ledger arithmetic (science.ledger): signs, balances and the refusals of bad postings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from touchstone.science.ledger import (
    LedgerError,
    balance,
    check_allocations,
    check_refund,
    money,
    signed,
)

D = Decimal
cents = st.integers(min_value=1, max_value=10**8).map(lambda c: D(c) / 100)


@pytest.mark.parametrize("bad", ["-5", "0", "1.005", "abc", "NaN", "Infinity", "1e12"])
def test_it_refuses_amounts_that_are_not_positive_cents(bad):
    with pytest.raises(LedgerError):
        money(bad)


def test_it_signs_charges_payments_and_refunds():
    assert [signed(k, D("10")) for k in ("charge", "payment", "refund")] == [10, -10, 10]


def test_it_refuses_an_over_refund():
    assert check_refund(D(50), D(20), D(30)) == D(30)
    with pytest.raises(LedgerError, match="more than what is left"):
        check_refund(D(50), D(20), D("30.01"))


def test_it_refuses_an_unbalanced_payment():
    with pytest.raises(LedgerError, match="more than the payment"):
        check_allocations(D(50), [(D(30), D(95)), (D("20.01"), D(95))])
    with pytest.raises(LedgerError, match="still owes"):
        check_allocations(D(500), [(D(96), D(95))])


@given(st.lists(st.tuples(st.sampled_from(["charge", "payment", "refund"]), cents)))
def test_it_balances_to_the_cent_whatever_the_order(entries):
    deltas = [signed(kind, amount) for kind, amount in entries]
    assert balance(deltas) == balance(reversed(deltas))
    assert balance(deltas) == sum((a if k != "payment" else -a for k, a in entries), D(0))
