import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import interpolate, signal

from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology.hrv import (
    compare_recordings,
    correct_artifacts,
    frequency_domain,
    hrv_metrics,
    read_rr,
    read_rr_file,
    time_domain,
)

RNG = np.random.default_rng(20240601)
CLEAN = 800 + RNG.normal(0, 25, 600).round()  # ms; sd 25 ms keeps every beat in range


def sinusoidal_rr(seconds: float, lf_amp: float = 30.0, hf_amp: float = 20.0) -> np.ndarray:
    """RR in ms whose tachogram is 800 + A1 sin(2pi 0.1 t) + A2 sin(2pi 0.25 t), t in s."""
    rr, t = [], 0.0
    while t < seconds:
        value = 800 + lf_amp * math.sin(2 * math.pi * 0.10 * t)
        value += hf_amp * math.sin(2 * math.pi * 0.25 * t)
        rr.append(value)
        t += value / 1000
    return np.array(rr)


# --- reading ---------------------------------------------------------------------------


def test_it_reads_a_plain_list_with_a_header_and_blank_lines():
    recording = read_rr("\ufeffrr_ms\n812\n790.5\n\n805\n")
    assert recording.format == "plain"
    assert recording.rr_ms.tolist() == [812.0, 790.5, 805.0]


def test_it_reads_a_plain_list_without_a_header():
    assert read_rr("812\r\n790\r\n").rr_ms.tolist() == [812.0, 790.0]


def test_it_reads_a_polar_sensor_logger_rr_export():
    text = (
        "Phone timestamp;RR-interval [ms]\n"
        "2024-06-01T21:17:07.832;1111\n"
        "2024-06-01T21:17:08.943;1098\n"
    )
    recording = read_rr(text)
    assert recording.format == "polar_sensor_logger"
    assert recording.rr_ms.tolist() == [1111.0, 1098.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("812\n790\nabc\n", r"line 3: expected one RR interval in ms per line, found 'abc'"),
        ("812\n790,5\n", r"line 2: expected one RR interval in ms per line, found '790,5'"),
        ("812\n812,790\n", r"line 2: .*'812,790'"),
        ("time,rr\n1,812\n", r"line 1: unrecognised header 'time,rr'"),
        ("812\n0\n", r"line 2: RR interval 0 ms is impossible"),
        ("812\n-790\n", r"line 2: RR interval -790 ms is impossible"),
        ("", "no RR intervals"),
        ("rr_ms\n", "no RR intervals"),
        ("0.81\n0.79\n0.80\n", "look like seconds"),
        (
            "Phone timestamp;RR-interval [ms]\nyesterday;812\n",
            r"line 2: 'yesterday' is not an ISO 8601 timestamp",
        ),
        (
            "Phone timestamp;RR-interval [ms]\n2024-06-01T21:17:07.832;812;3\n",
            r"line 2: expected 'timestamp;RR in ms'",
        ),
        ("Phone timestamp;RR-interval [ms]\n2024-06-01T21:17:07;x\n", r"line 2: expected an RR"),
    ],
)
def test_it_rejects_anything_else_naming_the_line(text, message):
    with pytest.raises(PhysiologyError, match=message):
        read_rr(text)


def test_it_rejects_a_binary_file(tmp_path):
    path = tmp_path / "recording.fit"
    path.write_bytes(b"\x0e\x10\xd9\x07\xff\xfe\x00")
    with pytest.raises(PhysiologyError, match="not a text file"):
        read_rr_file(path)


# --- artifacts ---------------------------------------------------------------------------


def test_it_leaves_a_clean_recording_untouched():
    result = correct_artifacts(CLEAN)
    assert result.n_corrected == 0
    np.testing.assert_array_equal(result.rr_ms, CLEAN)


def test_it_flags_rr_outside_the_physiological_range_and_interpolates():
    rr = CLEAN.copy()
    rr[100], rr[300] = 250.0, 2600.0  # < 300 ms and > 2000 ms
    result = correct_artifacts(rr)
    assert (result.n_out_of_range, result.n_ectopic) == (2, 0)
    assert result.rr_ms[100] == pytest.approx((rr[99] + rr[101]) / 2)
    assert result.rr_ms[300] == pytest.approx((rr[299] + rr[301]) / 2)


def test_it_flags_a_premature_beat_and_its_compensatory_pause_but_not_the_next_beat():
    rr = np.full(200, 800.0)
    rr[50], rr[51] = 560.0, 1040.0  # ectopic beat: -30 % then +30 % (Malik 20 % criterion)
    result = correct_artifacts(rr)
    assert result.n_ectopic == 2
    np.testing.assert_allclose(result.rr_ms, 800.0)


def test_it_counts_every_correction_in_n_corrected():
    rr = CLEAN.copy()
    rr[[10, 200, 400]] = [5000.0, 100.0, 1200.0]
    result = correct_artifacts(rr)
    assert result.n_corrected == 3
    assert result.to_dict()["n_corrected"] == 3


def test_it_refuses_a_recording_with_too_many_artifacts():
    rr = CLEAN.copy()
    rr[::4] = 3000.0  # 25 % of beats out of range
    with pytest.raises(PhysiologyError, match=r"150 of 600 beats are artifacts \(25.0 %"):
        correct_artifacts(rr)


def test_it_refuses_a_recording_that_is_all_artifact():
    with pytest.raises(PhysiologyError, match="every RR interval is an artifact"):
        correct_artifacts(np.full(50, 5000.0), max_corrected_fraction=1.0)


def test_it_rejects_an_unknown_artifact_method():
    with pytest.raises(PhysiologyError, match="unknown artifact method"):
        correct_artifacts(CLEAN, method="magic")  # type: ignore[arg-type]


def test_it_rejects_non_finite_rr():
    with pytest.raises(PhysiologyError, match="finite"):
        correct_artifacts([800.0, math.nan, 810.0])


def test_it_corrects_a_missed_and_an_extra_beat_with_the_kubios_method():
    # A missed R peak merges two intervals into one; an extra (false) peak splits one in two
    # (Lipponen & Tarvainen 2019). The method should restore the beats and count both.
    base = 800 + np.random.default_rng(3).normal(0, 20, 400)
    rr = np.concatenate(
        [base[:100], [base[100] + base[101]], base[102:250], [0.3 * base[250], 0.7 * base[250]]]
    )
    rr = np.concatenate([rr, base[251:]])
    result = correct_artifacts(rr, method="kubios")
    assert result.n_corrected >= 2
    assert result.rr_ms.size == base.size
    assert result.rr_ms.min() > 600
    assert result.rr_ms.max() < 1000


# --- time domain ----------------------------------------------------------------------


def test_it_computes_time_domain_metrics_as_the_task_force_defines_them():
    # Independent plain-numpy formulas (Task Force 1996, Circulation 93:1043).
    rr = CLEAN
    d = np.diff(rr)
    m = time_domain(rr)
    assert m.n_beats == 600
    assert m.mean_rr == pytest.approx(sum(rr) / len(rr))
    assert m.mean_hr == pytest.approx(60000 / (sum(rr) / len(rr)))
    assert m.sdnn == pytest.approx(math.sqrt(sum((x - rr.mean()) ** 2 for x in rr) / 599))
    assert m.rmssd == pytest.approx(math.sqrt(sum(x * x for x in d) / len(d)))
    assert m.pnn50 == pytest.approx(100 * sum(abs(x) > 50 for x in d) / len(rr))
    assert m.ln_rmssd == pytest.approx(math.log(m.rmssd))


def test_it_matches_a_hand_worked_example():
    # RR = 800, 810, 790, 850, 800, 805, 795, 900, 800, 810 ms; successive differences
    # 10, -20, 60, -50, 5, -10, 105, -100, 10: sum of squares = 27,850 -> RMSSD =
    # sqrt(27850/9) = 55.628; |diff| > 50: 60, 105, 100 -> NN50 = 3, pNN50 = 3/10 = 30 %.
    m = time_domain([800, 810, 790, 850, 800, 805, 795, 900, 800, 810])
    assert m.rmssd == pytest.approx(55.628, abs=1e-3)
    assert m.pnn50 == pytest.approx(30.0)
    assert m.mean_rr == pytest.approx(816.0)


def test_it_agrees_with_neurokit2_in_the_time_domain():
    nk = pytest.importorskip("neurokit2")
    reference = nk.hrv_time({"RRI": CLEAN, "RRI_Time": np.cumsum(CLEAN) / 1000})
    m = time_domain(CLEAN)
    assert m.mean_rr == pytest.approx(reference["HRV_MeanNN"].iloc[0])
    assert m.sdnn == pytest.approx(reference["HRV_SDNN"].iloc[0])
    assert m.rmssd == pytest.approx(reference["HRV_RMSSD"].iloc[0])
    assert m.pnn50 == pytest.approx(reference["HRV_pNN50"].iloc[0])


def test_it_refuses_too_few_beats():
    with pytest.raises(PhysiologyError, match="5 beats is too few"):
        hrv_metrics([800.0] * 5)


# --- frequency domain -----------------------------------------------------------------


def test_it_puts_a_0_1_hz_modulation_in_lf_and_a_0_25_hz_one_in_hf():
    # A sinusoid of amplitude A has power A^2/2: LF = 30^2/2 = 450 ms^2, HF = 20^2/2 = 200.
    f = frequency_domain(sinusoidal_rr(600))
    assert f.lf == pytest.approx(450, rel=0.05)
    assert f.hf == pytest.approx(200, rel=0.05)
    assert f.lf_hf == pytest.approx(450 / 200, rel=0.08)


def test_it_moves_power_between_bands_with_the_modulation():
    only_hf = frequency_domain(sinusoidal_rr(600, lf_amp=0.0, hf_amp=25.0))
    assert only_hf.hf == pytest.approx(25**2 / 2, rel=0.05)
    assert only_hf.lf < 0.02 * only_hf.hf


def test_it_agrees_with_an_independent_scipy_welch_estimate():
    # Independent pipeline: cubic-spline resampling at 4 Hz, mean removed, Welch with 256-s
    # Hann windows (scipy), power integrated over the Task Force bands.
    rr = sinusoidal_rr(900) + RNG.normal(0, 5, sinusoidal_rr(900).size)
    t = np.cumsum(rr) / 1000
    grid = np.arange(t[0], t[-1], 0.25)
    series = interpolate.CubicSpline(t, rr)(grid)
    freqs, psd = signal.welch(series - series.mean(), fs=4, nperseg=1024)

    def band(lo, hi):
        inside = (freqs >= lo) & (freqs < hi)
        return np.trapezoid(psd[inside], freqs[inside])

    f = frequency_domain(rr)
    assert f.lf == pytest.approx(band(0.04, 0.15), rel=0.15)
    assert f.hf == pytest.approx(band(0.15, 0.40), rel=0.15)


# Recordings for the NeuroKit2 comparison: 8-min noise, 15-min two-band modulation with noise,
# a 90-s one (HF only), and 124 / 233 beats, whose 4-Hz series (n = 396, 744 samples) are
# among the lengths where NeuroKit2's window is one sample shorter than n // 2.
_NOISY = sinusoidal_rr(900) + np.random.default_rng(5).normal(0, 8, sinusoidal_rr(900).size)
REFERENCE_RECORDINGS = {
    "clean_8min": CLEAN,
    "two_bands_15min": _NOISY,
    "short_90s": sinusoidal_rr(90),
    "edge_396": 800 + np.random.default_rng(11).normal(0, 30, 124),
    "edge_744": 800 + np.random.default_rng(12).normal(0, 30, 233),
}


@pytest.mark.parametrize("name", REFERENCE_RECORDINGS)
def test_it_agrees_with_neurokit2_in_the_frequency_domain(name):
    # NeuroKit2 0.3 computed these metrics before they moved to scipy; the two must give the
    # same numbers (relative difference below 1e-9) so that stored recordings stay comparable.
    nk = pytest.importorskip("neurokit2")
    rr = REFERENCE_RECORDINGS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = nk.hrv_frequency(
            {"RRI": rr, "RRI_Time": np.cumsum(rr) / 1000},
            lf=(0.04, 0.15),
            hf=(0.15, 0.40),
            psd_method="welch",
            interpolation_rate=4,
            normalize=False,
            silent=True,
        )
    f = frequency_domain(rr)
    assert f.hf == pytest.approx(reference["HRV_HF"].iloc[0], rel=1e-9)
    if rr.sum() >= 120_000:
        assert f.lf == pytest.approx(reference["HRV_LF"].iloc[0], rel=1e-9)
        assert f.lf_hf == pytest.approx(reference["HRV_LFHF"].iloc[0], rel=1e-9)
    else:
        assert f.lf is None


def test_the_reference_lengths_hit_the_short_window_case():
    # Guards the comparison above: these lengths must be the ones where NeuroKit2's
    # floating-point window length is n // 2 - 1 (else the edge case goes untested).
    for name in ("edge_396", "edge_744"):
        rr = REFERENCE_RECORDINGS[name]
        t = np.cumsum(rr) / 1000
        n = np.arange(t[0], t[-1] + 0.25, 0.25).size
        assert int((2 / ((2 * 4) / (n / 2))) * 4) == n // 2 - 1, (name, n)


def test_importing_the_physiology_core_does_not_load_neurokit2():
    # Importing costs what Django's start-up pays (the models import hrv): not even scipy.signal.
    # Computing every metric costs scipy, never NeuroKit2 and its scikit-learn, matplotlib...
    code = (
        "import sys, numpy as np\n"
        "import touchstone.science.physiology\n"
        "from touchstone.science.physiology.hrv import hrv_metrics\n"
        "print(sorted({'neurokit2', 'scipy.signal'} & set(sys.modules)))\n"
        "hrv_metrics(800 + 30 * np.sin(np.arange(400)))\n"
        "print(sorted({'neurokit2', 'sklearn', 'matplotlib', 'pywt'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["[]", "[]"]


def test_the_kubios_method_says_what_to_install_when_neurokit2_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "neurokit2", None)  # makes ``import neurokit2`` fail
    with pytest.raises(PhysiologyError, match=r"needs NeuroKit2.*hrv-reference.*neurokit2>=0.2.10"):
        correct_artifacts(CLEAN, method="kubios")
    assert correct_artifacts(CLEAN).method == "threshold"  # the default needs nothing extra


def test_it_gives_no_lf_for_a_recording_shorter_than_two_minutes():
    f = frequency_domain(sinusoidal_rr(90))
    assert f.lf is None
    assert f.lf_hf is None
    assert f.hf is not None


def test_it_gives_no_frequency_metrics_under_one_minute():
    assert frequency_domain(sinusoidal_rr(40)).to_dict() == {"lf": None, "hf": None, "lf_hf": None}


# --- whole recording and comparison ---------------------------------------------------


def test_it_reports_every_cli_key():
    d = hrv_metrics(sinusoidal_rr(300)).to_dict()
    keys = {"n_beats", "mean_rr", "mean_hr", "sdnn", "rmssd", "pnn50", "lf", "hf", "lf_hf"}
    assert keys | {"n_corrected"} <= d.keys()


def test_it_compares_before_and_after_recordings():
    before = hrv_metrics(sinusoidal_rr(300, hf_amp=15.0))
    after = hrv_metrics(sinusoidal_rr(300, hf_amp=30.0))
    c = compare_recordings(before, after)
    assert c.delta_rmssd == pytest.approx(after.rmssd - before.rmssd)
    assert c.delta_ln_rmssd == pytest.approx(math.log(after.rmssd / before.rmssd))
    assert c.pct_change_rmssd == pytest.approx(100 * (after.rmssd / before.rmssd - 1))
    assert c.delta_rmssd > 0
    assert c.delta_hf is not None and c.delta_hf > 0
