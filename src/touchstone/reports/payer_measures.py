"""The payer report's section of payer-grade depression measures (HEDIS DMS-E, DRR-E and
CMS159, ``outcomes.quality``): the 12-month measurement period ending at the report's end.

Kept beside ``payer.py`` rather than in it, so the payer report's own figures and this
section change independently. The HTML page, the PDF download and ``touchstone report
payer`` all take the section from :func:`payer_measures`.
"""

from __future__ import annotations

from typing import Any

from touchstone.accounts.models import StaffMember
from touchstone.outcomes.quality import last_twelve_months, quality_measures
from touchstone.reports.payer import PayerReport


def payer_measures(member: StaffMember | None, report: PayerReport) -> dict[str, Any]:
    """The measures for the report's clinic and the 12 months ending at its end, as the
    ``outcomes/_quality_tables.html`` include reads them. Small cells are hidden for a
    ``member`` who may not read diagnoses (the populations are defined by diagnoses);
    ``None`` is the command line, which acts for the clinic."""
    start, end = last_twelve_months(report.end)
    return quality_measures(report.clinic, start, end).to_dict(
        suppress=member is not None and not member.can("diagnoses.view")
    )
