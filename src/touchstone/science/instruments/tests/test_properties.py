"""Property-based checks that hold for every instrument definition."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from touchstone.science.instruments import all_instruments, score, score_batch

INSTRUMENTS = all_instruments()
IDS = sorted(INSTRUMENTS)


def values_of(item):
    return sorted({o.value for o in item.options}) or list(
        range(item.min_value, item.max_value + 1)
    )


def complete(inst):
    return st.tuples(*[st.sampled_from(values_of(it)) for it in inst.scored_items]).map(list)


def with_gaps(inst):
    return st.tuples(
        *[st.one_of(st.none(), st.sampled_from(values_of(it))) for it in inst.scored_items]
    ).map(list)


@pytest.mark.parametrize("inst_id", IDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_it_keeps_complete_totals_in_range_with_a_band(inst_id, data):
    inst = INSTRUMENTS[inst_id]
    answers = data.draw(complete(inst))
    result = score(inst, answers)
    assert result.computable
    assert inst.total_min <= result.total <= inst.total_max
    if inst.bands:
        band = inst.bands[result.severity_index]
        assert band.min <= result.total <= band.max
        assert band.label == result.severity
    else:
        assert result.severity is None


@pytest.mark.parametrize("inst_id", IDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_it_reverses_only_reverse_items_and_is_monotone(inst_id, data):
    inst = INSTRUMENTS[inst_id]
    answers = data.draw(complete(inst))
    j = data.draw(st.integers(0, len(answers) - 1))
    item = inst.scored_items[j]
    base = score(inst, answers)
    expected = item.min_value + item.max_value - answers[j] if item.reverse else answers[j]
    assert base.item_scores[item.link_id] == expected
    higher = [v for v in values_of(item) if v > answers[j]]
    if higher:
        raised = list(answers)
        raised[j] = higher[0]
        step = higher[0] - answers[j]
        moved = score(inst, raised).total - base.total
        assert moved == (-step if item.reverse else step)


@pytest.mark.parametrize("inst_id", IDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_it_applies_the_missing_rule_and_flags_risk_whatever_the_total(inst_id, data):
    inst = INSTRUMENTS[inst_id]
    answers = data.draw(with_gaps(inst))
    result = score(inst, answers)
    n_missing = sum(a is None for a in answers)
    assert result.computable == (n_missing <= inst.missing.max_missing)
    if not result.computable:
        assert result.total is None and result.severity is None and result.reason
    for rule in inst.risk:
        j = [it.link_id for it in inst.scored_items].index(rule.link_id)
        item = inst.scored_items[j]
        if answers[j] is None:
            assert rule.link_id in result.risk_unknown
            assert rule.link_id not in result.risk_flags
        else:
            flagged = item.item_score(answers[j]) >= rule.min
            assert (rule.link_id in result.risk_flags) == flagged


@pytest.mark.parametrize("inst_id", IDS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_it_gives_the_same_results_in_batch_as_one_at_a_time(inst_id, data):
    inst = INSTRUMENTS[inst_id]
    rows = data.draw(st.lists(with_gaps(inst), min_size=1, max_size=20))
    matrix = np.array([[np.nan if a is None else a for a in row] for row in rows], dtype=float)
    batch = score_batch(inst, matrix)
    for i, row in enumerate(rows):
        single = score(inst, row)
        total = batch.total[i]
        assert (None if np.isnan(total) else int(total)) == single.total
        assert bool(batch.computable[i]) == single.computable
        assert batch.severity_labels()[i] == single.severity
        assert bool(batch.alert[i]) == single.alert
        flags = [r for r, hit in zip(batch.risk_items, batch.risk[i], strict=True) if hit]
        unknown = [r for r, hit in zip(batch.risk_items, batch.risk_unknown[i], strict=True) if hit]
        assert tuple(flags) == single.risk_flags
        assert tuple(unknown) == single.risk_unknown
        for sub_id, column in batch.subscales.items():
            value = column[i]
            assert (None if np.isnan(value) else int(value)) == single.subscales[sub_id]
