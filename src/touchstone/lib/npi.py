"""The National Provider Identifier (NPI) check digit.

Source: CMS, "Requirements for National Provider Identifier (NPI) and NPI Enumeration"
(check-digit algorithm: ISO/IEC 7812 Luhn over the prefix 80840 followed by the first nine
digits); CMS's worked example 1234567893 is valid. python-stdnum (2.2) has no ``us.npi``
module, so the Luhn check is its generic ``stdnum.luhn`` over 80840 + NPI.

Examples
--------
>>> npi_is_valid("1234567893"), npi_is_valid("1234567890")
(True, False)
"""

from __future__ import annotations

from stdnum import luhn

#: The card-issuer prefix CMS puts in front of an NPI before the Luhn check (80 = health,
#: 840 = United States).
NPI_PREFIX = "80840"
#: The one message every form and report shows for a bad NPI.
INVALID_NPI = "This is not a valid NPI: 10 digits with a correct check digit."


def npi_is_valid(npi: str) -> bool:
    """Whether ``npi`` is ten digits whose last is the Luhn check digit over 80840 + NPI."""
    return len(npi) == 10 and npi.isdigit() and bool(luhn.is_valid(NPI_PREFIX + npi))
