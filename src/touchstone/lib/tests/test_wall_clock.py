"""local_minutes(): instants as the clinic's wall-clock minutes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
from django.utils import timezone

from touchstone.lib.wall_clock import local_minutes

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
