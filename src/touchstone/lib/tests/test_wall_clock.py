"""local_minutes(): instants as the clinic's wall-clock minutes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
from django.utils import timezone

from touchstone.lib.wall_clock import ONE_BY_ONE, local_minutes

UTC = dt.UTC


def test_it_gives_the_clinics_calendar_day_not_utcs():
    late_evening = dt.datetime(2026, 3, 3, 3, 30, tzinfo=UTC)  # 21:30 on the 2nd in Chicago
    with timezone.override(zoneinfo.ZoneInfo("America/Chicago")):
        out = local_minutes([late_evening, "2026-03-03 03:30:00+00:00", None])
    assert out[:2].tolist() == [dt.datetime(2026, 3, 2, 21, 30)] * 2
    assert np.isnat(out[2])
    assert out.astype("datetime64[D]")[0] == np.datetime64("2026-03-02")


def test_nothing_in_nothing_out():
    assert local_minutes([]).dtype == np.dtype("datetime64[m]")


def test_a_few_instants_one_by_one_read_as_many_through_pandas():
    # Few aware datetimes (a client's scores) are converted one by one, many (or text) by
    # pandas: the same minutes, across a DST change, before 1970, to the minute (floored).
    zone = zoneinfo.ZoneInfo("America/Chicago")
    few = [
        dt.datetime(2026, 3, 8, 7, 59, 59, 999_999, tzinfo=UTC),  # 01:59 CST
        dt.datetime(2026, 3, 8, 8, 0, 30, tzinfo=UTC),  # 03:00 CDT
        dt.datetime(2026, 11, 1, 6, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Madrid")),
        dt.datetime(1969, 12, 31, 23, 59, 31, tzinfo=UTC),
        None,
    ]
    with timezone.override(zone):
        one_by_one = local_minutes(few)
        through_pandas = local_minutes(few * (ONE_BY_ONE // len(few) + 1))[: len(few)]
    assert one_by_one.dtype == through_pandas.dtype == np.dtype("datetime64[m]")
    expected = [
        dt.datetime(2026, 3, 8, 1, 59),
        dt.datetime(2026, 3, 8, 3, 0),
        dt.datetime(2026, 11, 1, 0, 30),
        dt.datetime(1969, 12, 31, 17, 59),
    ]
    assert one_by_one[:4].tolist() == expected and through_pandas[:4].tolist() == expected
    assert np.isnat(one_by_one[4]) and np.isnat(through_pandas[4])


def test_a_few_datetimes_give_what_pandas_gives():
    """The per-datetime path (a client's few scores) agrees with pandas' (the clinic's
    thousands, or SQLite's text) across both daylight-saving changes, seconds truncated."""
    instants = [
        dt.datetime(2026, 3, 8, 7, 59, 59, 999999, tzinfo=UTC),  # 01:59 CST, just before
        dt.datetime(2026, 3, 8, 8, 0, 30, tzinfo=UTC),  # 03:00 CDT
        dt.datetime(2026, 11, 1, 6, 30, 45, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        None,
    ]
    with timezone.override(zoneinfo.ZoneInfo("America/Chicago")):
        few = local_minutes(instants)
        through_pandas = local_minutes([*instants, "2026-01-01 00:00:00+00:00"])[:-1]
    assert few.tolist() == through_pandas.tolist()
    naive = dt.datetime(2026, 3, 3, 3, 30)  # pandas reads a naive time as UTC
    assert (
        local_minutes([naive]).tolist()
        == local_minutes([naive, "2026-01-01 00:00:00+00:00"])[:1].tolist()
    )
    assert few[:3].tolist() == [
        dt.datetime(2026, 3, 8, 1, 59),
        dt.datetime(2026, 3, 8, 3, 0),
        dt.datetime(2026, 10, 31, 23, 30),
    ]
