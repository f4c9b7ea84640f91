"""Leave-one-out and subgroup analyses against metafor 3.8.1 (fixtures)."""

from __future__ import annotations

import pytest

from touchstone.science.meta.sensitivity import leave_one_out, subgroups
from touchstone.science.meta.tests.conftest import METAFOR, close, default_tol, tight_fit

BCG = METAFOR["bcg"]
L1O_FIELDS = [
    ("estimate", "estimate"), ("se", "se"), ("stat", "stat"), ("pval", "pval"),
    ("ci_lb", "ci_lb"), ("ci_ub", "ci_ub"), ("q", "Q"), ("q_p", "Qp"), ("tau2", "tau2"),
    ("i2", "I2"), ("h2", "H2"),
]  # fmt: skip


@pytest.mark.parametrize(("ref", "test"), list(zip(BCG["leave1out"], ["z", "knha"], strict=True)))
def test_it_matches_metafor_leave1out(ref: dict, test: str) -> None:
    res = leave_one_out(BCG["yi"], BCG["vi"], method="REML", test=test)
    # expected: ref["call"] in metafor 3.8.1
    for ours, theirs in L1O_FIELDS:
        close(list(getattr(res, ours)), ref[theirs])


@pytest.mark.parametrize(
    ("ref", "args"), list(zip(BCG["subgroups"], [("REML", "z"), ("DL", "knha")], strict=True))
)
def test_it_matches_metafor_subgroup_fits_and_the_between_groups_test(
    ref: dict, args: tuple[str, str]
) -> None:
    res = subgroups(BCG["yi"], BCG["vi"], BCG["alloc"], method=args[0], test=args[1])
    # expected: per-level rma(..., subset=alloc==g) and rma(b, sei=se, method="FE")$QE
    assert list(res.groups) == [g["group"] for g in ref["groups"]]
    keys = ["beta", "se", "tau2", "I2"]
    tight_q = []
    for fit, g in zip(res.results, ref["groups"], strict=True):
        # REML: within metafor's stopping error of its default fit (conftest.default_tol),
        # measured against metafor run to the optimum on the same subgroup
        opt = tight_fit(f"bcg-alloc-{g['group']}", args[0], args[1])
        for got, key in zip([fit.estimate, fit.se, fit.tau2, fit.i2], keys, strict=True):
            close(got, g[key], default_tol(g[key], opt[key]))
        tight_q.append((opt["beta"], opt["se"]))
    # Q_between from the tight subgroup fits, as rma(b, sei=se, method="FE")$QE
    w = [1 / se**2 for _, se in tight_q]
    mean = sum(wi * b for wi, (b, _) in zip(w, tight_q, strict=True)) / sum(w)
    q_opt = sum(wi * (b - mean) ** 2 for wi, (b, _) in zip(w, tight_q, strict=True))
    close(res.q_between, ref["Q_between"], default_tol(ref["Q_between"], q_opt))
    close(res.q_between_p, ref["Q_between_p"], 10 * default_tol(ref["Q_between"], q_opt))
    assert res.q_between_df == ref["Q_between_df"]
    assert set(res.to_dict()["groups"]) == {"alternate", "random", "systematic"}


def test_it_summarises_a_one_study_subgroup_by_that_study() -> None:
    res = subgroups([0.1, 0.5, 0.9], [0.04, 0.05, 0.04], ["a", "a", "b"])
    assert res.results[1].k == 1 and res.results[1].estimate == pytest.approx(0.9)


def test_it_needs_two_subgroups_and_matching_labels() -> None:
    with pytest.raises(ValueError, match="two subgroups"):
        subgroups([0.1, 0.5, 0.9], [0.04, 0.05, 0.04], ["a", "a", "a"])
    with pytest.raises(ValueError, match="labels"):
        subgroups([0.1, 0.5, 0.9], [0.04, 0.05, 0.04], ["a", "b"])
