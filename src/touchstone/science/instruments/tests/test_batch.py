"""The vectorised scorer: input forms, validation, prorating, agreement with score()."""

import itertools
import json

import numpy as np
import pytest

from touchstone.science.instruments import (
    AnswerError,
    load_instrument,
    parse_definition,
    score,
    score_batch,
)
from touchstone.science.instruments.loader import DEFINITIONS_DIR


def test_it_scores_every_phq2_pattern_in_int8_like_the_single_scorer():
    phq2 = load_instrument("phq2")
    patterns = np.array(list(itertools.product([-1, 0, 1, 2, 3], repeat=2)), dtype=np.int8)
    batch = score_batch(phq2, patterns)
    totals = batch.to_dict()["total"]
    for i, row in enumerate(patterns.tolist()):
        single = score(phq2, [None if v < 0 else v for v in row])
        assert totals[i] == single.total
        assert batch.severity_labels()[i] == single.severity


def test_it_flags_phq9_item_9_in_rows_that_cannot_be_totalled():
    rows = np.array([[-1] * 8 + [2], [0] * 9, [0] * 8 + [-1]], dtype=np.int8)
    batch = score_batch(load_instrument("phq9"), rows)
    assert batch.risk[:, 0].tolist() == [True, False, False]
    assert batch.risk_unknown[:, 0].tolist() == [False, False, True]
    assert batch.computable.tolist() == [False, True, False]
    assert np.isnan(batch.total[0]) and batch.total[1] == 0


def test_it_accepts_the_unscored_column_and_ignores_it():
    rows = np.array([[1] * 9 + [3], [1] * 9 + [-1]], dtype=np.int8)
    assert score_batch(load_instrument("phq9"), rows).total.tolist() == [9.0, 9.0]


@pytest.mark.parametrize(
    "rows",
    [np.array([[0] * 8 + [4]]), np.array([[0] * 8 + [-2]]), np.array([[0] * 8]),
     np.array([[0.5] * 9]), np.array([0] * 9)],
)  # fmt: skip
def test_it_rejects_values_off_the_scale_naming_the_row(rows):
    with pytest.raises(AnswerError):
        score_batch(load_instrument("phq9"), rows)


def test_it_names_the_row_and_item_of_a_bad_value():
    rows = np.zeros((5, 7), dtype=np.int8)
    rows[3, 2] = 9
    with pytest.raises(AnswerError, match=r"row 3, item gad7-3: 9"):
        score_batch(load_instrument("gad7"), rows)


def _prorating_phq9():
    """A synthetic variant allowing 1 missing item with prorating (no real instrument here
    has a sourced prorating rule; this exercises the mechanism)."""
    data = json.loads((DEFINITIONS_DIR / "phq9.json").read_text())
    data["id"] = "phq9-prorated"
    data["scoring"]["missing"] = {"max_missing": 1, "prorate": True, "note": "test", "source": "t"}
    return parse_definition(data)


def test_it_prorates_with_round_half_up_in_both_scorers():
    inst = _prorating_phq9()
    # 8 answered items summing 7: 7 * 9 / 8 = 7.875 -> 8; summing 4: 4.5 -> 5 (half up).
    cases = [([1] * 7 + [0, None], 8), ([1, 1, 1, 1, 0, 0, 0, 0, None], 5)]
    for answers, expected in cases:
        single = score(inst, answers)
        assert (single.total, single.prorated) == (expected, True)
        row = np.array([[np.nan if a is None else a for a in answers]])
        assert score_batch(inst, row).total.tolist() == [float(expected)]
    assert score(inst, [1] * 7 + [None, None]).total is None


def test_it_scores_a_large_random_sample_like_the_single_scorer():
    rng = np.random.default_rng(3)
    inst = load_instrument("pss10")  # has reverse items
    rows = rng.integers(-1, 5, size=(2000, 10)).astype(np.int8)
    totals = score_batch(inst, rows).to_dict()["total"]
    for i in range(0, 2000, 7):
        single = score(inst, [None if v < 0 else v for v in rows[i].tolist()])
        assert totals[i] == single.total
