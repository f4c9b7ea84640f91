"""The runnable examples in the docstrings stay true."""

import doctest

import pytest

from touchstone.science.physiology import association, cortisol, hrv, sleep, units


@pytest.mark.parametrize("module", [association, cortisol, hrv, sleep, units])
def test_it_keeps_docstring_examples_true(module):
    assert doctest.testmod(module).failed == 0
