import math
from datetime import date, time

import pytest

from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology.sleep import (
    SleepNight,
    parse_clock,
    sleep_night,
    weekly_summary,
)


def night(in_bed="23:00", tried="23:15", sol=20.0, nwak=2, waso=30.0, final="06:30", out="07:00"):
    return sleep_night(
        parse_clock(in_bed),
        parse_clock(tried),
        sol,
        nwak,
        waso,
        parse_clock(final),
        parse_clock(out),
    )


def test_it_derives_the_csd_metrics_of_a_night_across_midnight():
    # Hand computed with the definitions in instruments.md §1.9 [CSD]:
    # TIB = 07:00 - 23:00 = 480; pre-sleep = 15; TWT = 07:00 - 06:30 = 30;
    # TST = (06:30 - 23:15) - 20 - 30 = 435 - 50 = 385; SE = 385 / 480 x 100 = 80.208 %
    n = night()
    assert n.tib_min == 480
    assert n.pre_sleep_min == 15
    assert n.twt_min == 30
    assert n.tst_min == 385
    assert n.se_pct == pytest.approx(80.2083, abs=1e-4)
    assert (n.sol_min, n.waso_min, n.nwak) == (20, 30, 2)


def test_it_agrees_with_the_alternative_tst_formula():
    # TST = TIB - pre-sleep - SOL - WASO - TWT (the equivalent form in [CSD])
    n = night(in_bed="22:10", tried="22:40", sol=35, nwak=3, waso=50, final="05:55", out="06:20")
    assert n.tst_min == n.tib_min - n.pre_sleep_min - n.sol_min - n.waso_min - n.twt_min
    # 22:10 -> 06:20 = 490 min in bed
    assert n.tst_min == 490 - 30 - 35 - 50 - 25


def test_it_handles_a_night_that_starts_after_midnight():
    n = night(in_bed="00:30", tried="00:30", sol=10, nwak=0, waso=0, final="07:30", out="07:30")
    assert n.tib_min == 420
    assert n.tst_min == 410
    assert n.se_pct == pytest.approx(100 * 410 / 420)


def test_it_handles_a_daytime_sleep_after_a_night_shift():
    n = night(in_bed="08:00", tried="08:00", sol=15, nwak=1, waso=10, final="14:00", out="14:30")
    assert n.tib_min == 390
    assert n.tst_min == 360 - 25


def test_it_allows_a_night_without_sleep():
    n = night(in_bed="23:00", tried="23:00", sol=480, nwak=0, waso=0, final="07:00", out="07:00")
    assert n.tst_min == 0
    assert n.se_pct == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tried": "22:50"}, r"time tried to sleep \(22:50\) comes before time into bed \(23:00\)"),
        (
            {"final": "22:00"},
            r"time of final awakening \(22:00\) comes before time tried to sleep \(23:15\)",
        ),
        (
            {"out": "06:00"},
            r"time out of bed \(06:00\) comes before time of final awakening \(06:30\)",
        ),
    ],
)
def test_it_rejects_times_out_of_order(kwargs, message):
    with pytest.raises(PhysiologyError, match=message):
        night(**kwargs)


def test_it_rejects_sol_plus_waso_longer_than_the_sleep_window():
    # 06:30 - 23:15 = 435 min; 400 + 40 = 440 > 435
    with pytest.raises(PhysiologyError, match=r"\(440\) are longer than .* \(435 min\)"):
        night(sol=400, waso=40)


def test_it_rejects_negative_awakenings():
    with pytest.raises(PhysiologyError, match="awakenings -1 is negative"):
        night(nwak=-1)


def test_it_rejects_fractional_awakenings():
    with pytest.raises(PhysiologyError, match="not a whole number"):
        night(nwak=1.5)


def test_it_rejects_waso_without_awakenings():
    with pytest.raises(PhysiologyError, match="no awakenings"):
        night(nwak=0, waso=30)


@pytest.mark.parametrize(("field", "value"), [("sol", -5.0), ("waso", -1.0)])
def test_it_rejects_negative_durations(field, value):
    with pytest.raises(PhysiologyError, match="is negative"):
        night(**{field: value})


def test_it_rejects_a_duration_that_is_not_a_number():
    with pytest.raises(PhysiologyError, match="not a number of minutes"):
        night(sol=math.nan)


def test_it_rejects_zero_time_in_bed():
    with pytest.raises(PhysiologyError, match="no time in bed"):
        night(in_bed="23:00", tried="23:00", sol=0, nwak=0, waso=0, final="23:00", out="23:00")


@pytest.mark.parametrize("text", ["25:00", "7:5", "07-00", "", "ab:cd", "12:60"])
def test_it_rejects_clock_times_that_are_not_hh_mm(text):
    with pytest.raises(PhysiologyError, match="not a clock time HH:MM"):
        parse_clock(text, "in_bed")


def test_it_summarises_nights_by_iso_week():
    # 2024-01-01 is a Monday; nights on Mon, Tue (week 1) and Mon (week 2).
    a, b = night(), night(sol=40, waso=10)
    c = night(in_bed="22:00")
    weeks = weekly_summary([(date(2024, 1, 1), a), (date(2024, 1, 2), b), (date(2024, 1, 8), c)])
    assert [w.week_start for w in weeks] == [date(2024, 1, 1), date(2024, 1, 8)]
    assert weeks[0].n_nights == 2
    assert weeks[0].tst_min == pytest.approx((a.tst_min + b.tst_min) / 2)
    assert weeks[0].se_pct == pytest.approx((a.se_pct + b.se_pct) / 2)
    assert weeks[1].tib_min == c.tib_min
    assert weeks[0].to_dict()["week_start"] == "2024-01-01"


def test_it_rejects_two_entries_for_the_same_night():
    with pytest.raises(PhysiologyError, match="two diary entries for the night of 2024-01-01"):
        weekly_summary([(date(2024, 1, 1), night()), (date(2024, 1, 1), night())])


def test_it_serialises_a_night_with_the_cli_keys():
    d = night().to_dict()
    assert {"tib_min", "tst_min", "se_pct", "sol_min", "waso_min", "twt_min"} <= d.keys()
    assert isinstance(night(), SleepNight)
    assert time(23, 0) == parse_clock("23:00")
