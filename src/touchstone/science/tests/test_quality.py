"""Payer-grade measures (DMS-E, DRR-E, CMS159) on a constructed dataset.

Every client below exercises one rule or one window edge; the expected populations are worked
out by hand in the comments (measurement period: calendar year 2025).

* DMS-E assessment periods: P1 2025-01-01..04-30, P2 05-01..08-31, P3 09-01..12-31.
* DRR-E intake period 2024-05-01..2025-04-30; follow-up IESD + 4 months .. IESD + 8 months.
* CMS159 denominator identification period 2023-11-01..2024-10-31; numerator window
  index + 12 months -/+ 60 days; PHQ-9 on the encounter's day or up to 7 days before it.
"""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta

from touchstone.science.quality import (
    ClientRecord,
    Diagnosis,
    add_months,
    age_on,
    cms159,
    compute_measures,
    dms_e,
    drr_e,
    earliest_day_needed,
)

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
ADULT = dt.date(1980, 1, 1)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def rec(client_id, *, born=ADULT, dx=(), enc=(), spans=(), phq9=()):
    return ClientRecord(
        client_id=client_id,
        birth_date=born,
        diagnoses=tuple(Diagnosis(code, d(day)) for code, day in dx),
        depression_encounters=tuple(d(day) for day in enc),
        depression_spans=tuple((d(a), d(b) if b else None) for a, b in spans),
        phq9=tuple((d(day), score) for day, score in phq9),
    )


def ids(rate, group):
    return set(getattr(rate, group))


# --- calendar helpers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months"),
    [("2024-08-31", 6), ("2025-04-30", 4), ("2025-04-30", 8), ("2024-02-29", 12),
     ("2025-01-31", 1), ("2025-01-01", -14), ("2025-03-31", -1), ("2023-11-01", 12)],
)  # fmt: skip
def test_it_adds_calendar_months_like_dateutil(day, months):
    assert add_months(d(day), months) == d(day) + relativedelta(months=months)


def test_it_counts_completed_years():
    assert age_on(d("2013-05-02"), d("2025-05-01")) == 11
    assert age_on(d("2013-05-02"), d("2025-05-02")) == 12


def test_it_refuses_a_period_that_ends_before_it_starts():
    with pytest.raises(ValueError, match="cannot be before"):
        compute_measures([], END, START)


def test_it_says_how_far_back_the_queries_must_reach():
    assert earliest_day_needed(START) == d("2023-11-01")


# --- DMS-E -------------------------------------------------------------------------------

DMS_RECORDS = [
    # 1: P1 encounter, PHQ-9 on P1's last day -> P1 numerator. P2 encounter, next PHQ-9 on
    #    P3's first day -> P2 denominator only. No P3 encounter -> not in P3.
    rec(1, enc=["2025-01-10", "2025-06-01"], phq9=[("2025-04-30", 12), ("2025-09-01", 8)]),
    # 2: encounter on P3's first day, PHQ-9 on P2's last day -> P3 denominator only.
    rec(2, enc=["2025-09-01"], phq9=[("2025-08-31", 7)]),
    # 3: born 2013-05-02: 11 on P2's start (05-01), 12 on P3's -> only P3, with a PHQ-9.
    rec(3, born=d("2013-05-02"), enc=["2025-06-10", "2025-10-10"],
        phq9=[("2025-06-11", 9), ("2025-10-11", 6)]),
    # 4: bipolar known from 2025-06-15: not yet by P1's end (numerator), by P2's (excluded).
    rec(4, dx=[("F31.81", "2025-06-15")], enc=["2025-02-01", "2025-07-01"],
        phq9=[("2025-02-01", 15), ("2025-07-01", 14)]),
    # 5: PHQ-9s but no encounter with a depression diagnosis -> never in the population.
    rec(5, phq9=[("2025-02-01", 20)]),
]  # fmt: skip


def test_dms_e_assessment_periods_match_the_hand_count():
    result = dms_e(DMS_RECORDS, START, END)
    p1, p2, p3, total = (result.rate(k) for k in ("period-1", "period-2", "period-3", "total"))
    assert [w[1:] for w in result.windows] == [
        (d("2025-01-01"), d("2025-04-30")),
        (d("2025-05-01"), d("2025-08-31")),
        (d("2025-09-01"), d("2025-12-31")),
    ]
    # P1: {1, 4} both with a PHQ-9 -> 2 / 2.
    assert ids(p1, "initial_population") == {1, 4}
    assert ids(p1, "denominator") == {1, 4} and ids(p1, "numerator") == {1, 4}
    # P2: {1, 4}; 4 excluded (bipolar); 1 has no PHQ-9 in P2 -> 0 / 1.
    assert ids(p2, "initial_population") == {1, 4}
    assert p2.exclusions["bipolar disorder"] == {4}
    assert ids(p2, "denominator") == {1} and ids(p2, "numerator") == set()
    assert p2.rate == 0.0
    # P3: {2, 3}; 3 has a PHQ-9 -> 1 / 2.
    assert ids(p3, "initial_population") == {2, 3}
    assert ids(p3, "numerator") == {3} and p3.rate == 0.5
    # Total over client-periods: 6 in, 1 excluded, 5 in the denominator, 3 with a PHQ-9.
    counts = total.counts()
    assert (counts["initial_population"], counts["excluded"]) == (6, 1)
    assert (counts["denominator"], counts["numerator"]) == (5, 3)
    assert total.rate == pytest.approx(3 / 5)
    assert (3, 3) in total.numerator and (1, 2) in total.denominator


# --- DRR-E -------------------------------------------------------------------------------

OPEN_2024 = [("2024-04-01", None)]
DRR_RECORDS = [
    # 11: 2024-04-30 (15) is before the intake period; IESD = 2024-05-01 (12), its first day.
    #     Window 2024-09-01..2025-01-01: 2024-08-31 (3) is outside, 2025-01-01 (6) is the
    #     most recent inside: follow-up yes, remission no (6 >= 5), response yes (6 <= 6).
    rec(11, spans=OPEN_2024,
        phq9=[("2024-04-30", 15), ("2024-05-01", 12), ("2024-08-31", 3), ("2025-01-01", 6)]),
    # 12: IESD on the intake period's last day 2025-04-30 (10, the lowest elevated score).
    #     Window 2025-08-30..2025-12-30: 4 on its first day; 2025-12-31 (9) is after it.
    #     Follow-up, remission and response.
    rec(12, spans=[("2025-01-01", None)],
        phq9=[("2025-04-30", 10), ("2025-08-30", 4), ("2025-12-31", 9)]),
    # 13: 9 is not elevated (> 9 needed); 20 on 2025-05-01 is after the intake period.
    rec(13, spans=OPEN_2024, phq9=[("2024-06-01", 9), ("2025-05-01", 20)]),
    # 14: 2024-07-01 (14) falls outside the depression episode (2024-08-01..2024-12-31), so
    #     the IESD is 2024-09-15 (11). Window 2025-01-15..2025-05-15: most recent 7 on its
    #     last day: follow-up yes, remission no, response no (7 > 5.5).
    rec(14, spans=[("2024-08-01", "2024-12-31")],
        phq9=[("2024-07-01", 14), ("2024-09-15", 11), ("2025-03-01", 4), ("2025-05-15", 7)]),
    # 15: emotionally labile personality disorder known 2025-11-01 (before the period's end):
    #     excluded although remitted.
    rec(15, spans=OPEN_2024, dx=[("F60.3", "2025-11-01")],
        phq9=[("2024-10-01", 18), ("2025-03-01", 2)]),
    # 16: IESD 2024-06-10 (22); window 2024-10-10..2025-02-10 holds no score (2025-02-11 is
    #     one day late): in the denominator, in no numerator.
    rec(16, spans=OPEN_2024, phq9=[("2024-06-10", 22), ("2025-02-11", 1)]),
    # 17: born 2012-06-01, 11 on the IESD 2024-05-15 -> not in the population.
    rec(17, born=d("2012-06-01"), spans=OPEN_2024,
        phq9=[("2024-05-15", 13), ("2024-10-01", 2)]),
    # 18: pervasive developmental disorder known only after the period (2026-01-05): not
    #     excluded. IESD 2024-12-01 (10); 5 on the window's first day 2025-04-01: follow-up,
    #     no remission (5 is not < 5), response (5 <= 5).
    rec(18, spans=OPEN_2024, dx=[("F84.0", "2026-01-05")],
        phq9=[("2024-12-01", 10), ("2025-04-01", 5)]),
]  # fmt: skip


def test_drr_e_matches_the_hand_count():
    result = drr_e(DRR_RECORDS, START, END)
    assert result.windows == (("intake period", d("2024-05-01"), d("2025-04-30")),)
    follow_up, remission, response = (
        result.rate(k) for k in ("follow-up", "remission", "response")
    )
    for rate in (follow_up, remission, response):
        assert ids(rate, "initial_population") == {11, 12, 14, 15, 16, 18}
        assert rate.exclusions["personality disorder (emotionally labile)"] == {15}
        assert ids(rate, "denominator") == {11, 12, 14, 16, 18}
    assert ids(follow_up, "numerator") == {11, 12, 14, 18}
    assert ids(remission, "numerator") == {12}
    assert ids(response, "numerator") == {11, 12, 18}
    assert (follow_up.rate, remission.rate, response.rate) == (0.8, 0.2, 0.6)
    detail = result.details["follow-up"][14]
    assert (detail.index_date, detail.index_score) == (d("2024-09-15"), 11)
    assert (detail.follow_up_date, detail.follow_up_score) == (d("2025-05-15"), 7)
    assert detail.window == (d("2025-01-15"), d("2025-05-15"))


# --- CMS159 ------------------------------------------------------------------------------

CMS_RECORDS = [
    # 21: 2023-10-31 (15) is a day before the DIP. Index 2023-11-01 (12), the DIP's first
    #     day, with the encounter 7 days later (the latest allowed). Window 2024-09-02..
    #     2024-12-31: 2024-09-01 (2) is a day early; 4 on the last day -> remission.
    rec(21, enc=["2023-11-01", "2023-11-08"],
        phq9=[("2023-10-31", 15), ("2023-11-01", 12), ("2024-09-01", 2), ("2024-12-31", 4)]),
    # 22: index on the DIP's last day 2024-10-31 (11), encounter 2024-11-07 (7 days on).
    #     Window 2025-09-01..2025-12-30: 3 then 6; the most recent (6) decides -> no remission.
    rec(22, enc=["2024-11-07"],
        phq9=[("2024-10-31", 11), ("2025-09-01", 3), ("2025-11-15", 6)]),
    # 23: encounters the day before and 8 days after the elevated PHQ-9 -> no index event.
    rec(23, enc=["2024-01-31", "2024-02-09"], phq9=[("2024-02-01", 14), ("2025-02-01", 1)]),
    # 24: born 2011-03-01, 12 at the index 2024-01-10 (19): stratum 12-17. Window 2024-11-11..
    #     2025-03-11: 1 on its last day -> remission.
    rec(24, born=d("2011-03-01"), enc=["2024-01-10"],
        phq9=[("2024-01-10", 19), ("2025-03-11", 1)]),
    # 25: bipolar known 2025-01-01, before index + 14 months -> excluded although remitted.
    rec(25, dx=[("F31.0", "2025-01-01")], enc=["2024-06-01"],
        phq9=[("2024-06-01", 16), ("2025-06-01", 2)]),
    # 26: palliative care (Z51.5) known before the DIP began -> not excluded; no score in the
    #     window -> denominator only.
    rec(26, dx=[("Z51.5", "2023-06-01")], enc=["2024-04-03"], phq9=[("2024-04-01", 10)]),
    # 27: palliative care known within the assessment period -> excluded.
    rec(27, dx=[("Z51.5", "2024-05-01")], enc=["2024-03-01"],
        phq9=[("2024-03-01", 20), ("2025-03-01", 3)]),
    # 28: schizophrenia known only after index + 14 months -> not excluded; 4 in the window
    #     2024-12-03..2025-04-02 -> remission.
    rec(28, dx=[("F20.9", "2026-06-01")], enc=["2024-02-01"],
        phq9=[("2024-02-01", 10), ("2025-02-01", 4)]),
    # 29: 9 is not elevated.
    rec(29, enc=["2024-05-01"], phq9=[("2024-05-01", 9), ("2025-05-01", 2)]),
    # 30: born 2012-09-01, 11 at the index -> not in the population.
    rec(30, born=d("2012-09-01"), enc=["2024-08-01"], phq9=[("2024-08-01", 15)]),
]  # fmt: skip


def test_cms159_matches_the_hand_count():
    result = cms159(CMS_RECORDS, START, END)
    assert result.windows == (
        ("denominator identification period", d("2023-11-01"), d("2024-10-31")),
    )
    everyone, young, adult = (result.rate(k) for k in ("all", "12-17", "18+"))
    assert ids(everyone, "initial_population") == {21, 22, 24, 25, 26, 27, 28}
    assert everyone.exclusions["bipolar disorder"] == {25}
    assert everyone.exclusions["palliative care"] == {27}
    assert everyone.exclusions["schizophrenia or psychotic disorder"] == set()
    assert ids(everyone, "denominator") == {21, 22, 24, 26, 28}
    assert ids(everyone, "numerator") == {21, 24, 28}
    assert everyone.rate == pytest.approx(3 / 5)
    assert (ids(young, "denominator"), ids(young, "numerator")) == ({24}, {24})
    assert ids(adult, "denominator") == {21, 22, 26, 28}
    assert ids(adult, "numerator") == {21, 28} and adult.rate == 0.5
    detail = result.details["all"][22]
    assert detail.window == (d("2025-09-01"), d("2025-12-30"))
    assert (detail.follow_up_date, detail.follow_up_score) == (d("2025-11-15"), 6)
    low, high = everyone.ci
    # Wilson 95 % interval of 3 / 5. R 4.x printed, with digits = 10:
    #   prop.test(3, 5, correct = FALSE)$conf.int  ->  0.2307242813 0.8823792258
    assert (low, high) == pytest.approx((0.2307242813, 0.8823792258), abs=1e-9)


def test_it_lists_what_it_cannot_apply():
    for result in compute_measures(DMS_RECORDS + DRR_RECORDS + CMS_RECORDS, START, END):
        assert any(reason.startswith("death") for reason in result.not_applied)
        assert any(reason.startswith("hospice") for reason in result.not_applied)
