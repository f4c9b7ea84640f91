"""The payer report's evidence table pools only what ``science.meta.compat`` allows."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from touchstone.evidence.selectors import STUDIES_FILE
from touchstone.reports import evidence
from touchstone.science.meta.library import load_studies
from touchstone.science.meta.models import rma


def _study(sid: str, **effect: Any) -> dict[str, Any]:
    raw = json.loads(STUDIES_FILE.read_text())
    base = copy.deepcopy(next(s for s in raw["studies"] if s["id"] == "rapaport2016"))
    base["id"] = sid
    base["critiques"] = []
    base["effect"] = {"measure": "MD", "domain": "anxiety", "scale": "HAM-A",
                      "design": "controlled", "note": "test figure", **effect}  # fmt: skip
    if base["effect"]["design"] == "controlled":
        base["effect"].setdefault("comparison", "change")
    return base


def test_it_pools_only_compatible_effects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    studies = [
        _study("a2001", yi=-3.0, vi=2.0),
        _study("b2005", yi=-1.0, vi=1.5, scale="ham-a"),
        _study("c2010", yi=-6.0, vi=4.0, scale="STAI-S"),  # other instrument: not with HAM-A
        _study("d2012", measure="SMD", yi=0.5, vi=0.02, scale="various", design="meta_summary"),
        _study("e2014", measure="SMD", yi=0.3, vi=0.05, scale="BDI", domain="depression"),
    ]
    path = tmp_path / "studies.json"
    path.write_text(json.dumps({"schema_version": 2, "studies": studies}))
    monkeypatch.setattr(evidence, "shipped_studies", lambda: load_studies(path))
    evidence.pooled_estimates.cache_clear()
    try:
        out = {(e.domain, e.measure, e.design, e.scale): e for e in evidence.pooled_estimates()}
    finally:
        evidence.pooled_estimates.cache_clear()
    assert set(out) == {
        ("anxiety", "MD", "controlled", "HAM-A"),
        ("anxiety", "MD", "controlled", "STAI-S"),
        ("anxiety", "SMD", "meta_summary", "various"),
        ("depression", "SMD", "controlled", "various"),
    }
    ham = out[("anxiety", "MD", "controlled", "HAM-A")]
    assert ham.k == 2 and ham.method == "REML"
    assert ham.estimate == pytest.approx(rma([-3.0, -1.0], [2.0, 1.5], "REML").estimate, abs=1e-12)
    assert out[("anxiety", "MD", "controlled", "STAI-S")].k == 1
    assert out[("anxiety", "SMD", "meta_summary", "various")].k == 1


def test_it_pools_the_shipped_depression_trials_as_metafor() -> None:
    # Poland 2013 and Chompoopan 2024: HAM-D mean differences of two randomized trials; REML
    # reference from science/meta/tests/fixtures/make_library_fixtures.R (metafor 3.8.1).
    fixtures = Path(__file__).resolve().parents[2] / "science" / "meta" / "tests" / "fixtures"
    ref = json.loads((fixtures / "metafor_3_8_1_library.json").read_text())
    evidence.pooled_estimates.cache_clear()
    out = {(e.domain, e.measure, e.design, e.scale): e for e in evidence.pooled_estimates()}
    hamd = out[("depression", "MD", "controlled", "HAM-D")]
    assert hamd.k == 2 and hamd.method == "REML"
    assert [c.split(" ", 1)[0] for c in hamd.studies] == ["Poland", "Chompoopan"]
    reml = ref["depression_hamd_md"]["REML"]
    assert (hamd.estimate, hamd.ci_low, hamd.ci_high) == pytest.approx(
        (reml["estimate"], reml["ci_lb"], reml["ci_ub"]), rel=1e-9
    )
    # the other domains' single controlled effects stay single-study rows, never pooled across
    assert out[("anxiety", "MD", "controlled", "HAM-A")].k == 1
    assert out[("sleep", "MD", "controlled", "PSQI")].k == 1
