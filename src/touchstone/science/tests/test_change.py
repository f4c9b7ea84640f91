"""Jacobson-Truax change statistics, checked against the worked figures in instruments.md 3."""

import doctest
import math

import numpy as np
import pytest

import touchstone.science.change as change_module
from touchstone.science.change import (
    change,
    cutoff_a,
    cutoff_b,
    cutoff_c,
    reliable_change_index,
    standard_error_of_difference,
)
from touchstone.science.instruments import load_instrument, score


def test_it_reproduces_the_reference_s_diff_and_thresholds():
    # instruments.md 3 table: PHQ-9 SD 4.25, r .84 -> S_diff 2.40, min change 4.7;
    # GAD-7 SD 4.76, r .83 -> S_diff 2.78, min change 5.4.
    assert standard_error_of_difference(4.25, 0.84) == pytest.approx(2.40, abs=0.005)
    assert 1.96 * standard_error_of_difference(4.25, 0.84) == pytest.approx(4.7, abs=0.05)
    assert standard_error_of_difference(4.76, 0.83) == pytest.approx(2.78, abs=0.005)
    assert 1.96 * standard_error_of_difference(4.76, 0.83) == pytest.approx(5.4, abs=0.05)


def test_it_reproduces_the_reference_phq9_cutoff_c():
    # instruments.md 3: M_func 2.9 (SD 3.5) [Kocalevent-2013], M_dys 16.65 (4.25) -> c ~ 9.1
    assert cutoff_c(2.9, 3.5, 16.65, 4.25) == pytest.approx(9.11, abs=0.01)


def test_it_computes_cutoffs_a_and_b_in_both_directions():
    # J&T 1991: a = M_dys - 2 SD_dys, b = M_func + 2 SD_func (lower is better); mirrored.
    assert cutoff_a(16.65, 4.25, "lower_is_better") == pytest.approx(8.15)
    assert cutoff_b(2.9, 3.5, "lower_is_better") == pytest.approx(9.9)
    assert cutoff_a(40, 10, "higher_is_better") == 60
    assert cutoff_b(70, 10, "higher_is_better") == 50


def test_it_vectorises_the_rci():
    rci = reliable_change_index(np.array([20.0, 10.0]), np.array([10.0, 10.0]), 4.25, 0.84)
    expected = -10 / (4.25 * math.sqrt(0.16) * math.sqrt(2))  # (post - pre) / S_diff
    assert rci.tolist() == pytest.approx([expected, 0.0])


@pytest.mark.parametrize(
    ("pre", "post", "reliable", "classification", "response", "remission"),
    [
        (18, 6, "improved", "recovered", True, False),  # -12 > 4.71; crosses c = 9.1
        (18, 4, "improved", "recovered", True, True),  # remission < 5 [PsySvc-2020]
        (20, 14, "improved", "improved", False, False),  # reliable, still above c
        (12, 8, "none", "unchanged", False, False),  # |-4| < 4.71
        (8, 14, "deteriorated", "deteriorated", None, None),  # +6 > 4.71
        (8, 4, "none", "unchanged", None, None),  # baseline < 10: HEDIS n/a
    ],
)
def test_it_classifies_phq9_change(pre, post, reliable, classification, response, remission):
    result = change(load_instrument("phq9"), pre, post)
    assert result.reliable_change == reliable
    assert result.classification == classification
    assert (result.response, result.remission) == (response, remission)


def test_it_treats_higher_as_better_for_who5():
    # WHO-5: higher is better; published MDC 5.9 raw points [WHO5-HQLO]; cut-off raw 13.
    who5 = load_instrument("who5")
    assert change(who5, 8, 16).classification == "recovered"
    assert change(who5, 16, 8).classification == "deteriorated"
    assert change(who5, 10, 15).reliable_change == "none"  # +5 < 5.9


def test_it_uses_the_published_epds_threshold_of_4_points():
    # [Matthey-2004]: EPDS reliable change = 4 points.
    epds = load_instrument("epds")
    assert change(epds, 14, 10).reliable_change == "improved"
    assert change(epds, 14, 11).reliable_change == "none"
    assert change(epds, 14, 10).rci is None


def test_it_does_not_claim_no_change_without_reliability_data():
    result = change(load_instrument("pss10"), 30, 10)
    assert result.reliable_change is None and result.classification is None
    supplied = change(load_instrument("pss10"), 30, 10, reliability=0.85, sd=6.4)
    assert supplied.reliable_change == "improved"


def test_it_returns_nothing_for_a_non_computable_score():
    phq9 = load_instrument("phq9")
    pre = score(phq9, [3] * 8 + [None])
    result = change(phq9, pre, 5)
    assert result.rci is None and result.classification is None
    assert "not computable" in result.reasons[0]


def test_its_docstring_examples_hold():
    assert doctest.testmod(change_module).failed == 0


@pytest.mark.parametrize(
    ("pre", "post", "response", "remission"),
    [
        (14, 7, True, False),  # -50 % from a baseline >= 10
        (14, 8, False, False),  # -43 %
        (12, 4, True, True),  # below 5: the 'minimal' band [Spitzer-2006]
        (9, 2, None, None),  # baseline < 10: not applicable
    ],
)
def test_it_reports_gad7_response_and_remission_with_the_common_definitions(
    pre, post, response, remission
):
    # Issue 10 §3: >= 50 % reduction from a baseline >= 10; remission < 5 (as PHQ-9,
    # [PsySvc-2020]; no GAD-7-specific standard located, instruments.md 1.3).
    result = change(load_instrument("gad7"), pre, post)
    assert (result.response, result.remission) == (response, remission)
    assert "response" in result.sources and "remission" in result.sources


@pytest.mark.parametrize(
    ("instrument_id", "pre", "post", "reliable", "classification"),
    [
        # NHS Talking Therapies: PHQ-9 reliable change >= 6, caseness >= 10.
        ("phq9", 15, 9, "improved", "recovered"),  # -6, case -> not a case
        ("phq9", 15, 10, "none", "unchanged"),  # -5: not reliable under this set (J&T: yes)
        ("phq9", 20, 12, "improved", "improved"),  # still a case
        ("phq9", 6, 12, "deteriorated", "deteriorated"),
        # GAD-7: reliable change >= 4, caseness >= 8.
        ("gad7", 10, 6, "improved", "recovered"),  # -4 (J&T needs 5.44)
        ("gad7", 10, 7, "none", "unchanged"),
        ("gad7", 12, 8, "improved", "improved"),  # 8 is still a case
        ("gad7", 3, 7, "deteriorated", "deteriorated"),
    ],
)
def test_it_offers_the_nhs_talking_therapies_criteria(
    instrument_id, pre, post, reliable, classification
):
    result = change(load_instrument(instrument_id), pre, post, criteria="nhs-talking-therapies")
    assert (result.reliable_change, result.classification) == (reliable, classification)
    assert result.reliable_change_method == "nhs-talking-therapies"
    assert result.cutoff == "caseness" and result.criteria == "nhs-talking-therapies"


def test_the_two_criteria_disagree_where_their_thresholds_differ():
    phq9 = load_instrument("phq9")
    assert change(phq9, 15, 10).reliable_change == "improved"  # 5 > 4.71 (J&T)
    assert change(phq9, 15, 10, criteria="nhs-talking-therapies").reliable_change == "none"


def test_an_instrument_without_nhs_thresholds_keeps_jacobson_truax():
    result = change(load_instrument("who5"), 8, 16, criteria="nhs-talking-therapies")
    assert result.classification == "recovered" and result.cutoff == "published"
    assert any("Jacobson & Truax used" in r for r in result.reasons)


def test_it_refuses_unknown_criteria():
    with pytest.raises(ValueError, match="unknown change criteria"):
        change(load_instrument("phq9"), 15, 9, criteria="iapt")
