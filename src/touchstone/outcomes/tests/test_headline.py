"""The dashboard's answer in words: counts from the stored report's change classes."""

from __future__ import annotations

from typing import Any

import pytest

from touchstone.conftest import Cast
from touchstone.outcomes.analytics import clinic_outcomes
from touchstone.outcomes.headline import headline_chart, headlines
from touchstone.outcomes.tests.factories import build_outcomes

pytestmark = pytest.mark.django_db


def test_it_counts_the_recovered_among_the_reliably_improved(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 40, seed=6)
    report = clinic_outcomes(cast.harbour)
    rows = {h.instrument_id: h for h in headlines(report)}
    assert set(rows) == {"phq9", "gad7"}
    table = report.instrument("phq9").classification
    assert table is not None
    counts: dict[str, Any] = {r.category: r.count for r in table.rows}
    phq9 = rows["phq9"]
    assert phq9.name == "PHQ-9" and phq9.n == 40
    assert phq9.improved == counts["recovered"] + counts["improved"]
    assert (phq9.unchanged, phq9.deteriorated) == (counts["unchanged"], counts["deteriorated"])
    assert phq9.improved + phq9.unchanged + phq9.deteriorated == phq9.n
    assert phq9.findings and "Hou" in phq9.findings[0].source
    chart = headline_chart(list(rows.values()))
    assert chart is not None
    assert sum(v["clients"] for v in chart["data"]["values"] if v["questionnaire"] == "PHQ-9") == 40


def test_it_makes_no_claim_from_hidden_small_counts(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 5, seed=6)
    assert headlines(clinic_outcomes(cast.harbour, deidentified=True)) == []
    assert headline_chart([]) is None
