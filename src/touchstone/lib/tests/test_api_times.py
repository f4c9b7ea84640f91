"""Date-times an API client sends: clinic wall-clock when naive, real offsets only, UTC stored."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import TypeAdapter, ValidationError

from touchstone.lib.api_times import ClinicDateTime

ADAPTER = TypeAdapter(ClinicDateTime)


def test_an_offset_time_is_kept_as_its_instant_in_utc() -> None:
    value = ADAPTER.validate_python("2026-03-02T09:30:00-06:00")
    assert value == dt.datetime(2026, 3, 2, 15, 30, tzinfo=dt.UTC)
    assert value.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("text", ["2026-03-02T09:30:00+19:00", "2026-03-02T09:30:00-14:30"])
def test_an_offset_no_place_uses_is_refused(text: str) -> None:
    # PostgreSQL answers a DataError (a 500) for a displacement beyond +/-15:59.
    with pytest.raises(ValidationError, match="UTC offset"):
        ADAPTER.validate_python(text)


def test_the_widest_real_offsets_are_accepted() -> None:
    assert ADAPTER.validate_python("2026-03-02T09:30:00+14:00").hour == 19
    assert ADAPTER.validate_python("2026-03-02T09:30:00-12:00").hour == 21


def test_a_time_with_no_utc_instant_is_refused_not_crashed() -> None:
    with pytest.raises(ValidationError, match="out of range"):
        ADAPTER.validate_python("0001-01-01T00:00:00+01:00")
