"""The runnable examples in the docstrings stay true."""

import doctest

import pytest

from touchstone.science.instruments import batch, fhir, loader, scoring


@pytest.mark.parametrize("module", [batch, fhir, loader, scoring])
def test_it_keeps_docstring_examples_true(module):
    assert doctest.testmod(module).failed == 0
