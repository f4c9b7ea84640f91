from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.actions import do_save_answers, do_start_administration
from touchstone.measures.models import RiskAlert, Status
from touchstone.measures.tests.factories import answered


def test_it_scores_on_save_with_the_instrument_engine(cast: Cast):
    a = answered(make_client(cast.harbour), cast.tess, "phq9", [2, 2, 2, 2, 1, 1, 2, 0, 0])
    assert (a.status, a.total, a.severity, a.computable) == (Status.COMPLETED, 12, "moderate", True)
    assert a.result["instrument"] == "phq9"


def test_it_keeps_a_partly_filled_form_in_progress_and_never_scores_missing_as_zero(cast: Cast):
    a = answered(
        make_client(cast.harbour), cast.tess, "phq9", [1, 1, None, 0, 0, 0, 0, 0, 0], complete=False
    )
    assert a.status == Status.IN_PROGRESS
    assert a.total is None and not a.computable and a.reason


def test_it_raises_an_alert_the_moment_item_9_is_saved_even_in_progress(cast: Cast):
    a = answered(make_client(cast.harbour), cast.tess, "phq9", [None] * 8 + [1], complete=False)
    alert = RiskAlert.objects.get()
    assert (alert.administration, alert.reason, alert.item) == (a, "risk_item", "phq9-9")
    assert alert.is_open


def test_it_raises_an_alert_for_a_severe_band(cast: Cast):
    answered(make_client(cast.harbour), cast.tess, "gad7", [3, 3, 3, 3, 3, 2, 0])
    assert RiskAlert.objects.get().reason == "severe_band"


def test_it_does_not_raise_alerts_for_a_mild_score_without_risk(cast: Cast):
    answered(make_client(cast.harbour), cast.tess, "phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0])
    assert not RiskAlert.objects.exists()


def test_it_raises_one_alert_per_trigger_however_often_the_form_is_saved(cast: Cast):
    client = make_client(cast.harbour)
    a = do_start_administration(actor_of(cast.tess), client, "phq9", "clinic")
    for _ in range(3):
        do_save_answers(actor_of(cast.tess), a, {"phq9-9": 2}, complete=False)
    assert RiskAlert.objects.count() == 1


def test_it_refuses_an_answer_off_the_scale_and_stores_nothing(cast: Cast):
    a = do_start_administration(actor_of(cast.tess), make_client(cast.harbour), "phq9", "clinic")
    with pytest.raises(ValidationError):
        do_save_answers(actor_of(cast.tess), a, {"phq9-1": 7}, complete=True)
    a.refresh_from_db()
    assert a.answers == {} and a.status == Status.IN_PROGRESS


def test_it_refuses_to_change_a_finished_questionnaire(cast: Cast):
    a = answered(make_client(cast.harbour), cast.tess, "gad2", [1, 1])
    with pytest.raises(ValidationError, match="already finished"):
        do_save_answers(actor_of(cast.tess), a, {"gad2-1": 0}, complete=True)


def test_it_refuses_an_unknown_instrument(cast: Cast):
    with pytest.raises(ValidationError):
        do_start_administration(actor_of(cast.tess), make_client(cast.harbour), "phq99", "clinic")
