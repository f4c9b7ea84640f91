"""change_batch() must equal change() element by element (the dashboard relies on it)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from touchstone.science.change import change
from touchstone.science.change_batch import CLASSES, change_batch
from touchstone.science.instruments import load_instrument


@pytest.mark.parametrize("criteria", ["jacobson-truax", "nhs-talking-therapies"])
@pytest.mark.parametrize("instrument_id", ["phq9", "gad7", "phq15", "who5", "isi", "epds"])
def test_it_equals_change_on_every_pair(instrument_id: str, criteria: str):
    definition = load_instrument(instrument_id)
    scores = range(int(definition.total_min), int(definition.total_max) + 1)
    pairs = np.array(list(itertools.product(scores, scores)), dtype=float)
    batch = change_batch(definition, pairs[:, 0], pairs[:, 1], criteria=criteria)
    for i, (pre, post) in enumerate(pairs):
        one = change(definition, pre=pre, post=post, criteria=criteria)
        code = int(batch.classification[i])
        assert (CLASSES[code] if code >= 0 else None) == one.classification, (pre, post)
        assert (bool(batch.response[i]) if batch.response_known[i] else None) == one.response
        assert (bool(batch.remission[i]) if batch.remission_known[i] else None) == one.remission


def test_it_refuses_unpaired_or_missing_scores():
    definition = load_instrument("phq9")
    with pytest.raises(ValueError, match="equal-length"):
        change_batch(definition, [1, 2], [3])
    with pytest.raises(ValueError, match="finite"):
        change_batch(definition, [1, np.nan], [3, 4])
