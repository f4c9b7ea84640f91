"""Concealed randomisation: reproducible from the seed, balanced in every completed block."""

from __future__ import annotations

import hashlib
import hmac
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from touchstone.science.trials import randomisation as r

SEED = bytes(range(32))


def test_it_derives_the_stream_from_hmac_sha256_in_counter_mode():
    # The first 64-bit word of the stratum "all" is the first 8 bytes of
    # HMAC-SHA256(seed, label 0x00 "all" 0x00 counter=0), computed here independently.
    stream = r._Stream(SEED, "all")
    expected = hmac.new(
        SEED, b"touchstone-rand/v1\x00all\x00" + (0).to_bytes(8, "big"), hashlib.sha256
    ).digest()
    assert stream._word() == int.from_bytes(expected[:8], "big")
    assert stream._word() == int.from_bytes(expected[8:16], "big")


def test_it_reproduces_the_sequence_from_the_seed():
    first = r.sequence(SEED, "all", 50, (1, 1), (1, 2, 3))
    assert first == r.sequence(SEED, "all", 50, (1, 1), (1, 2, 3))
    assert first != r.sequence(bytes(32), "all", 50, (1, 1), (1, 2, 3))
    assert first != r.sequence(SEED, "clinic=2", 50, (1, 1), (1, 2, 3))
    assert [r.allocation(SEED, "all", k, (1, 1), (1, 2, 3)) for k in range(50)] == first


def test_it_uses_blocks_of_random_sizes():
    sizes = {len(b.arms) for b in itertools.islice(r.blocks(SEED, "all", (1, 1), (1, 2, 3)), 60)}
    assert sizes == {2, 4, 6}


@settings(max_examples=60, deadline=None)
@given(
    seed=st.binary(min_size=16, max_size=32),
    stratum=st.text(min_size=1, max_size=12),
    ratio=st.lists(st.integers(1, 3), min_size=2, max_size=3),
    multipliers=st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True),
)
def test_every_completed_block_holds_the_arms_in_the_allocation_ratio(
    seed, stratum, ratio, multipliers
):
    for block in itertools.islice(r.blocks(seed, stratum, ratio, multipliers), 12):
        m = len(block.arms) // sum(ratio)
        assert m in multipliers
        assert [block.arms.count(arm) for arm in range(len(ratio))] == [m * x for x in ratio]


@settings(max_examples=40, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), length=st.integers(1, 80))
def test_the_imbalance_never_exceeds_half_the_largest_block(seed, length):
    allocations = r.sequence(seed, "all", length, (1, 1), (1, 2, 3))
    assert abs(allocations.count(0) - allocations.count(1)) <= 3


def test_both_arms_are_about_equally_likely_first():
    firsts = [r.allocation(i.to_bytes(32, "big"), "all", 0, (1, 1), (1, 2)) for i in range(400)]
    # Binomial(400, 1/2): 200 +/- 3.9 sd (p < 1e-4 outside) for a fixed set of seeds.
    assert 170 <= firsts.count(1) <= 230


def test_it_draws_integers_without_modulo_bias():
    stream = r._Stream(SEED, "x")
    counts = [0, 0, 0]
    for _ in range(3000):
        counts[stream.below(3)] += 1
    assert all(900 < c < 1100 for c in counts)


@pytest.mark.parametrize(
    ("ratio", "multipliers", "message"),
    [
        ((1,), (1,), "two arms"),
        ((1, 0), (1,), "two arms"),
        ((1, 1), (), "positive"),
        ((1, 1), (2, 2), "repeat"),
    ],
)
def test_it_refuses_bad_designs(ratio, multipliers, message):
    with pytest.raises(ValueError, match=message):
        next(r.blocks(SEED, "all", ratio, multipliers))


def test_it_refuses_a_short_seed():
    with pytest.raises(ValueError, match="16 bytes"):
        r.sequence(b"short", "all", 2, (1, 1), (1,))


def test_it_commits_to_the_seed_with_sha256():
    assert r.seed_commitment(SEED) == hashlib.sha256(SEED).hexdigest()
    assert len(r.new_seed()) == 32 and r.new_seed() != r.new_seed()


def test_it_labels_strata_stably():
    assert r.stratum_label({"severity": "severe", "clinic": "2"}) == "clinic=2|severity=severe"
    assert r.stratum_label({}) == "all"
    with pytest.raises(ValueError):
        r.stratum_label({"a": "x|y"})
