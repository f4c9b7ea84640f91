"""What other apps may ask the evidence library: the studies Touchstone ships (the data file
is the evidence app's own; nobody else reads it by path)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from touchstone.science.meta.library import Study, load_studies

STUDIES_FILE = Path(__file__).resolve().parent / "data" / "studies.json"


@cache
def shipped_studies() -> tuple[Study, ...]:
    """The studies shipped with Touchstone (validated by the science core's loader)."""
    return load_studies(STUDIES_FILE)
