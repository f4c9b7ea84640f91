"""Collect the runnable examples in every science-core docstring as tests.

The equivalent of ``pytest --doctest-modules`` for ``src/touchstone/science`` only (the rest
of the project imports Django at module level and has no doctests): every module's examples
are a test item, so a new module's examples are checked without registering it anywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.doctest import DoctestModule


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if (
        file_path.suffix == ".py"
        and "tests" not in file_path.parts
        and file_path.name != "conftest.py"
        and not parent.config.getoption("doctestmodules", False)
    ):
        return DoctestModule.from_parent(parent, path=file_path)
    return None
