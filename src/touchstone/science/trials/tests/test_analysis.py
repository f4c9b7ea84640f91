"""The ITT analysis against R (lm, lme4) to 1e-6, on a fixed dataset.

References: fixtures/trials_r.json, printed by fixtures/trials_reference.R from
fixtures/trial_small.csv (R 4.2.2, lme4 1.1.31, lmer with tight optimiser control).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from touchstone.science.trials import (
    ANCOVA_BOCF,
    ANCOVA_COMPLETE_CASE,
    MIXED_MODEL,
    analyse,
    ancova,
)

FIXTURES = Path(__file__).parent / "fixtures"
R = json.loads((FIXTURES / "trials_r.json").read_text())


def read(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with (FIXTURES / name).open() as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))

    def num(v: str) -> float:
        return math.nan if v == "NA" else float(v)

    return (
        np.array([int(r["arm"]) for r in rows]),
        np.array([num(r["baseline"]) for r in rows]),
        np.array([num(r["follow_up"]) for r in rows]),
    )


def check_against_r(result, expected) -> None:
    by_method = {e.method: e for e in result.estimates}
    for method in (ANCOVA_COMPLETE_CASE, ANCOVA_BOCF, MIXED_MODEL):
        ours, theirs = by_method[method], expected[method]
        for name in ("estimate", "se", "ci_low", "ci_high", "p_value"):
            assert getattr(ours, name) == pytest.approx(theirs[name], abs=1e-6), (method, name)
    cc = expected[ANCOVA_COMPLETE_CASE]
    assert by_method[ANCOVA_COMPLETE_CASE].n_clients == cc["n"]
    assert by_method[ANCOVA_COMPLETE_CASE].df == cc["df"]
    mixed = expected[MIXED_MODEL]
    assert by_method[MIXED_MODEL].n_observations == mixed["n_obs"]
    assert by_method[MIXED_MODEL].n_clients == mixed["n_groups"]


def test_it_matches_r_on_the_fixed_dataset():
    check_against_r(analyse(*read("trial_small.csv")), R["trial_small"])


def test_it_lists_the_primary_method_first_and_summarises_each_arm():
    result = analyse(*read("trial_small.csv"))
    assert result.primary.method == ANCOVA_COMPLETE_CASE
    arm, _, follow = read("trial_small.csv")
    assert [a.randomised for a in result.arms] == [int((arm == 0).sum()), int((arm == 1).sum())]
    assert sum(a.with_follow_up for a in result.arms) == int((~np.isnan(follow)).sum())
    assert result.to_dict()["estimates"][0]["method"] == ANCOVA_COMPLETE_CASE


def test_ancova_recovers_a_known_difference():
    e = ancova(
        [0, 0, 0, 1, 1, 1],
        [10, 12, 14, 11, 13, 15],
        [9, 12, 13, 6, 8, 11],
        method=ANCOVA_COMPLETE_CASE,
    )
    # The OLS coefficient from the normal equations, solved independently.
    x = np.array([[1, 0, 10], [1, 0, 12], [1, 0, 14], [1, 1, 11], [1, 1, 13], [1, 1, 15]], float)
    beta = np.linalg.solve(x.T @ x, x.T @ np.array([9, 12, 13, 6, 8, 11.0]))
    assert e.estimate == pytest.approx(beta[1], abs=1e-12)
    assert e.ci_low < e.estimate < e.ci_high


@pytest.mark.parametrize(
    ("arm", "base", "follow", "message"),
    [
        ([0, 1, 2], [1, 2, 3], [1, 2, 3], "0 \\(control\\) or 1"),
        ([0, 1], [1, 2, 3], [1, 2], "same length"),
        ([0, 0, 0, 0], [1, 2, 3, 4], [1, 2, 3, 4], "both arms"),
        ([0, 1, 0, 1], [1, 2, np.inf, 4], [1, 2, 3, 4], "infinite"),
    ],
)
def test_it_refuses_data_it_cannot_analyse(arm, base, follow, message):
    with pytest.raises(ValueError, match=message):
        analyse(arm, base, follow)
