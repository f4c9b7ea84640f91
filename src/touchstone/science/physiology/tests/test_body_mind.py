"""Body and mind pairs, without a database: how a change is formed for the clinic (one pair
per client) and for one client (one pair per interval), and the suppression of small rows."""

from __future__ import annotations

import datetime as dt
import doctest

from touchstone.science.physiology import body_mind

DAY = dt.date(2025, 3, 1)


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_level_near_averages_within_the_window_only():
    series = [(DAY - _days(3), 10.0), (DAY + _days(7), 20.0), (DAY + _days(8), 99.0)]
    assert body_mind.level_near(series, DAY, _days(7)) == 15.0
    assert body_mind.level_near(series, DAY - _days(30), _days(7)) is None


def test_the_clinic_pairs_last_minus_first_per_client_and_drop_clients_without_a_level():
    later = DAY + _days(60)
    clients = {
        1: {"phq9": [(DAY, 18.0), (later, 9.0)], "rmssd": [(DAY, 25.0), (later, 38.0)]},
        2: {"phq9": [(DAY, 14.0), (later, 12.0)], "rmssd": [(DAY + _days(30), 30.0)]},
        3: {"phq9": [(DAY, 11.0)]},  # one score: no change to pair
    }
    body, mind = body_mind.clinic_pairs(clients, "rmssd", "phq9")
    assert (body, mind) == ([13.0, None], [-9.0, -2.0])


def test_one_client_pairs_each_interval_between_consecutive_scores():
    series = {
        "gad7": [(DAY, 12.0), (DAY + _days(14), 9.0), (DAY + _days(28), 7.0)],
        "se": [(DAY, 70.0), (DAY + _days(15), 80.0), (DAY + _days(27), 85.0)],
    }
    body, mind = body_mind.client_pairs(series, "se", "gad7")
    assert (body, mind) == ([10.0, 5.0], [-3.0, -2.0])


def test_the_table_suppresses_rows_below_the_minimum_n():
    def pairs(measure: str, symptom: str) -> body_mind.Pairs:
        return [1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0]

    rows = body_mind.table(pairs, min_n=5)
    assert len(rows) == len(body_mind.MEASURES) * len(body_mind.SYMPTOMS)
    assert all(
        r.suppressed and r.to_dict().keys() == {"measure", "symptom", "suppressed"} for r in rows
    )


def test_it_keeps_its_docstring_examples_true():
    assert doctest.testmod(body_mind).failed == 0
