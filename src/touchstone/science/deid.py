"""HIPAA Safe Harbor de-identification helpers (45 CFR 164.514(b)(2)), Django-free.

The Safe Harbor method removes 18 kinds of identifiers of the individual and of relatives,
employers and household members (164.514(b)(2)(i)(A)-(R)): names; geographic subdivisions
smaller than a state, except the first three digits of a ZIP code when the area formed by
all ZIP codes with those three digits holds more than 20,000 people (otherwise 000); all
elements of dates (except year) directly related to an individual, and all ages over 89
(aggregated into one category of 90 or older); telephone and fax numbers; e-mail
addresses; social security, medical record, health plan, account, certificate/licence
numbers; vehicle and device identifiers; URLs and IP addresses; biometric identifiers;
full-face photographs; and any other unique identifying number, characteristic or code
(except a re-identification code as in 164.514(c)).

Touchstone exports no direct identifier at all and transforms three quasi-identifiers:

* ages: :func:`age_category` (``"90+"`` above 89);
* ZIP codes: :func:`zip3` (first three digits, ``"000"`` for the restricted areas);
* dates: shifted by a per-client offset from :func:`date_offset_days` (secret, never
  exported), so intervals between a client's events are kept. See docs/reports.md for why
  this is a documented deviation from removing all date elements.

Pseudonymous ids (:func:`pseudonym`) are HMAC-SHA256 of the clinic and record id under the
export key: stable for one key, unlinkable without it (the 164.514(c) re-identification
code, "not derived from information about the individual" because the key is secret and
never disclosed).

Examples
--------
>>> zip3("03601"), zip3("02139-4307"), zip3("")
('000', '021', '')
>>> age_category(89), age_category(90)
('89', '90+')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

#: Three-digit ZIP areas with 20,000 or fewer people (2000 Census), which Safe Harbor
#: replaces with 000. Source: HHS Office for Civil Rights, "Guidance Regarding Methods for
#: De-identification of Protected Health Information in Accordance with the HIPAA Privacy
#: Rule" (26 Nov 2012), section 3.3 / FAQ on ZIP codes, listing these 17 prefixes from the
#: 2000 Census (written from memory: verify against the guidance and the current Census
#: before relying on it; HHS asks covered entities to use the most current Census data).
RESTRICTED_ZIP3 = frozenset(
    {
        "036",
        "059",
        "063",
        "102",
        "203",
        "556",
        "692",
        "790",
        "821",
        "823",
        "830",
        "831",
        "878",
        "879",
        "884",
        "890",
        "893",
    }
)
#: Ages above this are aggregated into one category (164.514(b)(2)(i)(C)).
MAX_EXPORTED_AGE = 89
#: Dates move by at most this many days either way.
MAX_SHIFT_DAYS = 365

_ZIP = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")


def _mac(key: bytes, message: str) -> bytes:
    if not key:
        raise ValueError("an export key is required")
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, scope: str, record_id: int | str, *, prefix: str = "P") -> str:
    """A stable pseudonymous id: HMAC-SHA256(key, "scope:record_id"), 16 hex digits.

    64 bits make collisions negligible for any clinic (birthday bound ~4e9 records).
    """
    return prefix + _mac(key, f"{scope}:{record_id}").hex()[:16]


def date_offset_days(key: bytes, scope: str, record_id: int | str) -> int:
    """The client's secret date shift, a whole number of days in [-365, 365], never 0.

    Deterministic for one key, so every file of one export (and a re-export with the same
    key) shifts the client's dates alike; different clients move independently.
    """
    value = int.from_bytes(_mac(key, f"shift:{scope}:{record_id}")[:8], "big")
    index = value % (2 * MAX_SHIFT_DAYS)  # 0 .. 729
    return index - MAX_SHIFT_DAYS if index < MAX_SHIFT_DAYS else index - MAX_SHIFT_DAYS + 1


def shift_date(day: dt.date | dt.datetime | None, offset_days: int) -> dt.date | None:
    """``day`` (a date, or the date of a datetime) moved by ``offset_days``."""
    if day is None:
        return None
    if isinstance(day, dt.datetime):
        day = day.date()
    return day + dt.timedelta(days=offset_days)


def age_years(born: dt.date, on: dt.date) -> int:
    """Completed years of age on a day."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_category(age: int | None) -> str:
    """The exported age: the number of years, or ``"90+"`` above 89 (Safe Harbor)."""
    if age is None:
        return ""
    return "90+" if age > MAX_EXPORTED_AGE else str(age)


def zip3(postal_code: str | None) -> str:
    """The first three digits of a US ZIP code, ``"000"`` for restricted areas, ``""`` else.

    A value that is not a US ZIP code (e.g. a foreign postal code) is dropped: Safe Harbor
    allows no geographic unit smaller than a state other than the 3-digit ZIP.
    """
    match = _ZIP.match(postal_code or "")
    if match is None:
        return ""
    prefix = match.group(1)[:3]
    return "000" if prefix in RESTRICTED_ZIP3 else prefix
