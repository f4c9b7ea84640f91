"""Billing arithmetic for timed CPT codes: the CMS "8-minute rule".

CPT 97124 ("massage, including effleurage, petrissage and/or tapotement ...; each 15 minutes")
is a *timed* code. Medicare counts units of timed codes by the total timed minutes of the
day (CMS, Medicare Claims Processing Manual, Pub. 100-04, Chapter 5 "Part B Outpatient
Rehabilitation and CORF/OPT Services", section 20.2 "Reporting of Service Units With HCPCS",
as restated from memory; verify against the current manual):

======================  =====
timed minutes           units
======================  =====
fewer than 8            0
8 to 22                 1
23 to 37                2
38 to 52                3
53 to 67                4
68 to 82                5
83 to 97                6
98 to 112               7
113 to 127              8
======================  =====

"and so on": each further 15 minutes adds one unit once at least 8 of them are reached,
i.e. ``units = (minutes + 7) // 15`` for 8 minutes or more. Other payers may count units
per visit differently (the AMA "substantial portion" rule); Touchstone uses the CMS table.

Examples
--------
>>> [cms_timed_units(m) for m in (7, 8, 22, 23, 37, 38, 60, 90)]
[0, 1, 1, 2, 2, 3, 4, 6]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from decimal import Decimal
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

#: One unit of a timed code is 15 minutes (CPT "each 15 minutes").
UNIT_MINUTES = 15
#: The first unit needs at least 8 minutes: more than half of 15 (CMS Pub. 100-04 ch. 5 §20.2).
MIN_MINUTES_FOR_ONE_UNIT = 8

#: CPT/HCPCS codes Touchstone bills for massage sessions.
MASSAGE_CPT = "97124"
MASSAGE_CPT_TEXT = "Therapeutic massage (effleurage, petrissage, tapotement), each 15 minutes"


def cms_timed_units(minutes: int) -> int:
    """Units of a timed code for ``minutes`` of one-to-one service on one day (CMS table).

    Raises
    ------
    ValueError
        For negative minutes.
    """
    if minutes < 0:
        raise ValueError("minutes cannot be negative")
    if minutes < MIN_MINUTES_FOR_ONE_UNIT:
        return 0
    return (minutes + UNIT_MINUTES - MIN_MINUTES_FOR_ONE_UNIT) // UNIT_MINUTES


def units_per_day(minutes_by_day: Iterable[tuple[K, int]]) -> dict[K, int]:
    """Units per service day: the minutes of one day are summed before the table applies.

    Medicare adds the timed minutes of all timed services on a day; two 10-minute massages
    on one day are 20 minutes, one unit, not two (Pub. 100-04 ch. 5 §20.2). The key is the
    service day, or any key that names one (e.g. ``(client, day)`` across a clinic). Every
    report (progress report, superbill, payer report) counts units with this function.

    Examples
    --------
    >>> units_per_day([("mon", 10), ("mon", 10), ("tue", 7)])
    {'mon': 1, 'tue': 0}
    """
    totals: dict[K, int] = {}
    for day, minutes in minutes_by_day:
        totals[day] = totals.get(day, 0) + int(minutes)
    return {day: cms_timed_units(total) for day, total in totals.items()}


def line_fee(units: int, unit_fee: Decimal) -> Decimal:
    """The charge of a service line: units times the clinic's fee per unit, in cents."""
    return (unit_fee * units).quantize(Decimal("0.01"))
