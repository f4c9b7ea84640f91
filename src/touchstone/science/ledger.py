"""Ledger arithmetic: signed amounts, balances and the checks every posting passes.

A client's balance is what they owe the clinic: the sum of the signed amounts of their
entries, to the cent. Entries are append-only; a correction is a reversing entry.

=========  ====================================  ========
kind       what it is                            sign
=========  ====================================  ========
charge     a visit, a no-show or late-cancel     +amount
           fee, a package sale
payment    money (or a write-off, an insurer's   -amount
           payment) received against the balance
refund     money given back from a payment       +amount
reversal   cancels one earlier entry             -(that entry's signed amount)
=========  ====================================  ========

Amounts are positive ``Decimal`` values with at most two decimal places; the sign comes from
the kind, so a negative amount is always an input error.

Examples
--------
>>> balance([signed("charge", Decimal("95")), signed("payment", Decimal("50"))])
Decimal('45.00')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
#: The largest single posting (a typing error guard; DecimalField max_digits 10).
MAX_AMOUNT = Decimal("99999999.99")
SIGN = {"charge": 1, "payment": -1, "refund": 1}


class LedgerError(ValueError):
    """A posting that would leave the books wrong: nothing is written."""


def money(value: object, what: str = "The amount") -> Decimal:
    """``value`` as a positive amount of cents, or ``LedgerError`` saying why not."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise LedgerError(f"{what} is not a number.") from None
    if not amount.is_finite():
        raise LedgerError(f"{what} is not a number.")
    if amount <= 0:
        raise LedgerError(f"{what} must be more than 0.")
    if amount != amount.quantize(CENT):
        raise LedgerError(f"{what} has more than two decimal places.")
    if amount > MAX_AMOUNT:
        raise LedgerError(f"{what} is larger than {MAX_AMOUNT}.")
    return amount.quantize(CENT)


def signed(kind: str, amount: Decimal) -> Decimal:
    """The signed amount of a charge, payment or refund of ``amount``."""
    if kind not in SIGN:
        raise LedgerError(f"Unknown entry kind {kind!r}.")
    return money(amount) * SIGN[kind]


def balance(deltas: Iterable[Decimal]) -> Decimal:
    """What the client owes: the sum of signed amounts, to the cent."""
    return sum(deltas, ZERO).quantize(CENT)


def check_refund(payment: Decimal, refunded: Decimal, amount: Decimal) -> Decimal:
    """A refund of ``amount`` from a payment of ``payment`` of which ``refunded`` already went
    back: never more than what is left."""
    amount = money(amount, "The refund")
    left = payment - refunded
    if amount > left:
        raise LedgerError(
            f"The refund ({amount}) is more than what is left of the payment ({left})."
        )
    return amount


def check_allocations(
    payment: Decimal, allocations: Sequence[tuple[Decimal, Decimal]]
) -> list[Decimal]:
    """Allocations of a payment to charge lines, each ``(amount, open amount of the line)``:
    every amount positive, none above its line's open amount, together no more than the
    payment (an unbalanced payment is refused)."""
    amounts = []
    for amount, open_amount in allocations:
        amount = money(amount, "An allocation")
        if amount > open_amount:
            raise LedgerError(
                f"An allocation ({amount}) is more than the line still owes ({open_amount})."
            )
        amounts.append(amount)
    total = sum(amounts, ZERO)
    if total > payment:
        raise LedgerError(f"The allocations ({total}) add up to more than the payment ({payment}).")
    return amounts
