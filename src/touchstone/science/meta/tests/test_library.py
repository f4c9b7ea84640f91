"""The evidence library data file loads, keeps UNVERIFIED marks and critiques, and validates."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from touchstone.science.meta.library import StudyDataError, load_studies, parse_studies

STUDIES = Path(__file__).resolve().parents[3] / "evidence" / "data" / "studies.json"
RAW: dict[str, Any] = json.loads(STUDIES.read_text())


def _by_id() -> dict[str, Any]:
    return {s.id: s for s in load_studies(STUDIES)}


def test_it_loads_every_published_study_in_the_reference_file() -> None:
    studies = _by_id()
    # evidence.md Part 1 sections 1.1-1.5
    for sid in ("hou2010", "rapaport2016", "sherman2010", "field2005", "moyer2011", "ko2014"):
        assert sid in studies
    assert {s.domain for s in studies.values()} == {
        "depression", "anxiety", "cortisol", "sleep", "cost",
    }  # fmt: skip


def test_it_keeps_unverified_values_marked() -> None:
    studies = _by_id()
    # evidence.md: Rapaport 2016 "DOI UNVERIFIED ... Per-arm n UNVERIFIED"
    assert studies["rapaport2016"].is_unverified("doi")
    assert studies["rapaport2016"].is_unverified("per_arm_n")
    # evidence.md: Hou 2010 "per-trial SMDs and forest plot not reached"
    assert studies["hou2010"].is_unverified("per_study_effects")
    assert not studies["sherman2010"].unverified


def test_it_puts_the_cortisol_critiques_next_to_the_claim() -> None:
    field = _by_id()["field2005"]
    critics = {by for by, _ in field.critiques}
    assert {"moyer2011", "moraska2010"} <= critics  # evidence.md section 1.3


def test_it_carries_poolable_effects_with_their_derivation() -> None:
    studies = _by_id()
    hou = studies["hou2010"].effect
    # evidence.md: random-effects SMD 0.73 (0.52-0.93) -> vi = ((0.93-0.52)/3.92)^2 [derived]
    assert hou is not None and hou.yi == 0.73 and hou.derived
    assert hou.vi == pytest.approx(((0.93 - 0.52) / (2 * 1.959964)) ** 2, rel=1e-3)
    jane = studies["jane2011"].effect
    # Hedges' g of the post-treatment RCSQ 32.8 (11.4) vs 30.2 (14.4), 36 per arm [derived]
    assert jane is not None and jane.yi == pytest.approx(0.1980, abs=1e-4)


def _broken(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(RAW)
    study = data["studies"][0]
    keys = path.split(".")
    for key in keys[:-1]:
        study = study[key]
    study[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("domain", "mood", "field 'domain'"),
        ("doi", "not-a-doi", "field 'doi'"),
        ("citation", None, "field 'citation'"),
        ("n", -5, "field 'n'"),
        ("unverified", ["colour"], "unknown field 'colour'"),
        ("critiques", [{"by": "nobody2099", "text": "x"}], "unknown study 'nobody2099'"),
        ("effect.vi", -1, "field 'effect.vi'"),
        ("effect.vi", 0.5, "does not match the CI"),
        ("effect.yi", 2.0, "outside its confidence interval"),
    ],
)
def test_it_rejects_malformed_entries_naming_study_and_field(
    path: str, value: Any, message: str
) -> None:
    with pytest.raises(StudyDataError, match=message) as err:
        parse_studies(_broken(path, value))
    assert "hou2010" in str(err.value)


def test_it_rejects_duplicate_ids() -> None:
    data = copy.deepcopy(RAW)
    data["studies"].append(copy.deepcopy(data["studies"][0]))
    with pytest.raises(StudyDataError, match="duplicate"):
        parse_studies(data)
