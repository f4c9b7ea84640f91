"""The CMS-1500 (02/12) PDF: read back with pypdf, each value sits under its box."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from touchstone.claims import actions
from touchstone.claims.tests.factories import (
    billing_ready,
    charged_visit,
    diagnosed_episode,
    insured_client,
    with_npi,
)
from touchstone.conftest import Cast, actor_of


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _after(text: str, label: str) -> str:
    """The line after a box's label: its value."""
    match = re.search(re.escape(label) + r"[^\n]*\n([^\n]*)", text)
    assert match, f"no box {label!r} in the PDF"
    return match.group(1).strip()


def test_each_value_is_in_its_box(cast: Cast):
    billing_ready(cast.harbour)
    with_npi(cast.tess)
    client = insured_client(cast.harbour, prior_authorization="PA-77")
    episode = diagnosed_episode(cast.harbour, client, ("F41.1", "F32.A"))
    visits = [
        charged_visit(cast.harbour, client, episode, days_ago=d, staff=cast.tess)
        for d in range(8, 0, -1)
    ]
    pdf, claims = actions.do_export_cms1500(actor_of(cast.fiona), visits)
    text = _text(pdf)
    claim = claims[0]
    assert _after(text, "1a INSURED'S I.D. NUMBER") == "MEM123"
    assert _after(text, "2 PATIENT'S NAME") == "Example, Dana"
    assert _after(text, "11 INSURED'S POLICY GROUP") == "GRP9"
    assert _after(text, "21 DIAGNOSIS (ICD Ind. 0)").split() == ["A.", "F411", "B.", "F32A"]
    assert _after(text, "23 PRIOR AUTHORIZATION NUMBER") == "PA-77"
    assert _after(text, "25 FEDERAL TAX I.D. NUMBER") == "123456789 EIN"
    assert _after(text, "26 PATIENT'S ACCOUNT NO.") == claim.control_number
    assert _after(text, "33a BILLING PROVIDER NPI") == "1234567893"
    first_line = _after(text, "24J RENDERING NPI").split()
    day = claim.lines.order_by("position").first().day
    assert first_line == [
        f"{day:%m}",
        f"{day:%d}",
        f"{day:%Y}",
        "11",
        "97124",
        "AB",
        "95.00",
        "4",
        "1245319599",
    ]
    # Eight lines: six on the first form, two on the second, each with its own total.
    assert text.count("page 1 of 2") == 1 and text.count("page 2 of 2") == 1
    assert [
        _after(p, "28 TOTAL CHARGE") for p in text.split("HEALTH INSURANCE CLAIM FORM")[1:]
    ] == ["570.00", "190.00"]
