"""Pure rules: NPI check digit, contraindication result, body-map validation, ICD-10 list,
measurement-plan due dates."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from touchstone.care import bodymap, icd10
from touchstone.care.contraindications import CATALOGUE, Result, compute_result
from touchstone.care.plans import instruments_due


def test_it_takes_the_most_serious_item_as_the_result():
    assert compute_result([]) == Result.CLEAR
    assert compute_result(["skin"]) == Result.PRECAUTIONS
    assert compute_result(["skin", "dvt"]) == Result.CLEARANCE


def test_it_ships_the_items_the_issue_names():
    codes = {item.code for item in CATALOGUE}
    assert {
        "dvt",
        "recent_surgery",
        "fracture",
        "fever",
        "anticoagulants",
        "pregnancy",
        "skin",
        "cancer_treatment",
    } <= codes


def test_it_has_front_and_back_regions_with_unique_codes():
    codes = [r.code for r in bodymap.REGIONS]
    assert len(codes) == len(set(codes)) >= 30
    assert {r.view for r in bodymap.REGIONS} == {"front", "back"}


@pytest.mark.parametrize(
    "value", [{"tail": 1}, {"jaw": 4}, {"jaw": -1}, {"jaw": "2"}, {"jaw": True}, ["jaw"]]
)
def test_it_refuses_bad_body_maps(value):
    with pytest.raises(ValidationError):
        bodymap.validate_body_map(value)


def test_it_ships_icd10_codes_with_titles():
    codes = icd10.codes()
    assert codes["F41.1"] == "Generalized anxiety disorder"
    assert "F32.A" in codes and "G47.00" in codes and "F53.0" in codes
    assert icd10.normalise(" f411 ") == "F41.1"


def _episode(**fields):
    values = {
        "started_on": dt.date(2025, 1, 1),
        "ended_on": None,
        "plan_intake": ["phq9", "gad7"],
        "plan_periodic": ["phq9", "gad7"],
        "plan_every_weeks": 2,
        "plan_each_visit": ["phq2"],
    }
    values.update(fields)
    return SimpleNamespace(**values)


def test_it_makes_intake_instruments_due_until_done():
    due = instruments_due(_episode(plan_periodic=[]), dt.date(2025, 1, 3), {})
    assert [(d.instrument_id, d.reason, d.days_overdue) for d in due] == [
        ("gad7", "intake", 2),
        ("phq9", "intake", 2),
    ]


def test_it_makes_periodic_instruments_due_n_weeks_after_the_last():
    # Last PHQ-9 on 2025-01-10, every 2 weeks -> due 2025-01-24 (10 + 14 days).
    completed = {"phq9": dt.date(2025, 1, 10), "gad7": dt.date(2025, 1, 20)}
    assert instruments_due(_episode(), dt.date(2025, 1, 23), completed) == []
    due = instruments_due(_episode(), dt.date(2025, 1, 24), completed)
    assert [(d.instrument_id, d.due_on) for d in due] == [("phq9", dt.date(2025, 1, 24))]


def test_it_adds_session_instruments_on_a_visit_day_and_nothing_after_the_end():
    done = {"phq9": dt.date(2025, 1, 1), "gad7": dt.date(2025, 1, 1)}
    due = instruments_due(_episode(), dt.date(2025, 1, 2), done, visit_today=True)
    assert [d.instrument_id for d in due] == ["phq2"]
    ended = _episode(ended_on=dt.date(2025, 1, 1))
    assert instruments_due(ended, dt.date(2025, 3, 1), {}) == []


def test_a_session_instrument_given_today_is_not_due():
    done = {"phq9": dt.date(2025, 1, 1), "gad7": dt.date(2025, 1, 1), "phq2": dt.date(2025, 1, 2)}
    assert instruments_due(_episode(), dt.date(2025, 1, 2), done, visit_today=True) == []
    due = instruments_due(_episode(), dt.date(2025, 1, 9), done, visit_today=True)
    assert [d.instrument_id for d in due] == ["phq2"]  # the next visit day
