import math

import numpy as np
import pytest

from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology.cortisol import auc_pruessner, cortisol_day

# A typical day, nmol/L: waking 12, CAR peak 20 at 30 min, then decline.
DAY_T = [0, 30, 45, 60, 240, 720, 900]
DAY_C = [12.0, 20.0, 18.0, 15.0, 8.0, 4.0, 3.0]


def test_it_computes_aucg_and_auci_by_pruessner_formulas():
    # Hand computed with Pruessner et al. 2003 formulas (2) and (3):
    # AUCg = (12+20)/2*30 + (20+18)/2*15 + (18+15)/2*15 = 480 + 285 + 247.5 = 1012.5
    # AUCi = 1012.5 - 12*60 = 292.5
    day = cortisol_day(DAY_T, DAY_C)
    assert day.auc_g == pytest.approx(1012.5)
    assert day.auc_i == pytest.approx(292.5)


def test_it_matches_the_trapezoid_rule_of_numpy_for_aucg():
    t, c = np.array([0.0, 15, 30, 45, 60]), np.array([9.0, 14, 19, 17, 13])
    auc_g, auc_i = auc_pruessner(t, c)
    assert auc_g == pytest.approx(np.trapezoid(c, t))
    assert auc_i == pytest.approx(np.trapezoid(c - c[0], t))


def test_it_takes_the_30_to_45_minute_peak_for_the_car_increase():
    # max(20, 18) - 12 = 8 nmol/L
    assert cortisol_day(DAY_T, DAY_C).car_increase == pytest.approx(8.0)


def test_it_fits_the_log_diurnal_slope_without_the_car_samples():
    # OLS of ln(c) on hours using t = 0, 4, 12, 15 h (waking + samples after 60 min);
    # independent computation with numpy.polyfit.
    hours = np.array([0, 240, 720, 900]) / 60
    expected = np.polyfit(hours, np.log([12.0, 8.0, 4.0, 3.0]), 1)[0]
    day = cortisol_day(DAY_T, DAY_C)
    assert day.slope_ln_per_h == pytest.approx(expected)
    assert day.slope_pct_per_h == pytest.approx(100 * (math.exp(expected) - 1))
    assert day.raw_slope_nmol_l_per_h == pytest.approx(
        np.polyfit(hours, [12.0, 8.0, 4.0, 3.0], 1)[0]
    )
    assert day.slope_n == 4


def test_it_sorts_samples_given_out_of_order():
    shuffled = cortisol_day(DAY_T[::-1], DAY_C[::-1])
    assert shuffled.auc_g == pytest.approx(1012.5)


def test_it_gives_no_car_without_a_waking_sample():
    day = cortisol_day([20, 30, 45, 60], [12.0, 20.0, 18.0, 15.0])
    assert day.auc_g is None
    assert day.car_increase is None
    assert day.slope_ln_per_h is None
    assert any("waking sample" in note for note in day.notes)


def test_it_gives_no_auc_with_only_two_samples_in_the_window():
    day = cortisol_day([0, 30], [12.0, 20.0])
    assert day.auc_g is None
    assert day.car_increase == pytest.approx(8.0)
    assert any("AUC needs 3 samples" in note for note in day.notes)


def test_it_gives_no_slope_when_the_samples_span_less_than_six_hours():
    day = cortisol_day([0, 30, 45, 120, 300], [12.0, 20.0, 18.0, 10.0, 8.0])
    assert day.slope_ln_per_h is None
    assert day.auc_g is not None


def test_it_gives_no_car_increase_without_a_30_to_45_minute_sample():
    day = cortisol_day([0, 15, 60], [12.0, 14.0, 13.0])
    assert day.car_increase is None
    assert day.auc_g is not None


@pytest.mark.parametrize("value", [0.0, -3.0, math.nan])
def test_it_rejects_impossible_concentrations(value):
    with pytest.raises(PhysiologyError, match="sample 2: concentration"):
        cortisol_day([0, 30], [12.0, value])


@pytest.mark.parametrize("minute", [-5.0, 1441.0, math.inf])
def test_it_rejects_minutes_since_waking_out_of_range(minute):
    with pytest.raises(PhysiologyError, match="out of range"):
        cortisol_day([0, minute], [12.0, 10.0])


def test_it_rejects_two_samples_at_the_same_minute():
    with pytest.raises(PhysiologyError, match="two samples at 30 minutes"):
        cortisol_day([0, 30, 30], [12.0, 20.0, 19.0])


def test_it_rejects_unpaired_times_and_values():
    with pytest.raises(PhysiologyError, match="one time and one value"):
        cortisol_day([0, 30], [12.0])


def test_it_serialises_to_a_plain_dict():
    d = cortisol_day(DAY_T, DAY_C).to_dict()
    assert d["auc_g"] == pytest.approx(1012.5)
    assert d["notes"] == []
