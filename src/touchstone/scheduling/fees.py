"""What a service costs is not scheduling's: the fee schedule (``billing.Fee``, with effective
dates and history) is its one source. Billing sits above scheduling in the layer map, so it
registers its lookup here (``BillingConfig.ready``) and scheduling's pages show the current
fee through :func:`current_fees` without importing billing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

#: ``(clinic_id, service_ids) -> {service_id: fee in force today}``; services without a fee
#: are left out.
FeeLookup = Callable[[int, Sequence[int]], dict[int, Decimal]]

_lookups: list[FeeLookup] = []


def register_fee_lookup(lookup: FeeLookup) -> None:
    if lookup not in _lookups:
        _lookups.append(lookup)


def current_fees(clinic_id: int, service_ids: Sequence[int]) -> dict[int, Decimal]:
    """Today's full fee of each service that has one (empty when no fee schedule is
    installed)."""
    fees: dict[int, Decimal] = {}
    for lookup in _lookups:
        fees.update(lookup(clinic_id, service_ids))
    return fees
