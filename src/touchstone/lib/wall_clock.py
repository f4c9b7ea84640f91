"""Instants as the clinic's wall-clock times, for code that compares calendar days.

``science.episodes.episode_pairs`` counts days in the clinic's time zone; callers turn stored
instants (aware datetimes, or the ISO text SQLite returns from a raw read) into naive local
``datetime64[m]`` with :func:`local_minutes`, in one vectorised call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils import timezone

#: Up to this many instants, datetimes are converted one by one (faster than pandas).
_FEW = 200


def local_minutes(instants: Iterable[Any]) -> npt.NDArray[np.datetime64]:
    """Each instant in the current time zone (the clinic's where clinic work happens), to the
    minute, without its offset; ``None`` becomes ``NaT``."""
    values = list(instants)
    if not values:
        return np.array([], dtype="datetime64[m]")
    zone = timezone.get_current_timezone()
    if len(values) <= _FEW and all(v is None or _aware(v) for v in values):
        # One client's scores (the progress page calls this per instrument): pandas costs
        # a quarter of a millisecond per call whatever the size.
        return np.array(
            [None if v is None else v.astimezone(zone).replace(tzinfo=None) for v in values],
            dtype="datetime64[m]",
        )
    # pandas here, not at the top: the progress report and the score command import this
    # module and start without pandas (issue 11 §2, tests/test_startup.py).
    import pandas as pd

    parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
    local = parsed.dt.tz_convert(zone).dt.tz_localize(None)
    return local.to_numpy(dtype="datetime64[ns]").astype("datetime64[m]")


def _aware(value: Any) -> bool:
    """An aware datetime (pandas takes the rest: text, and naive times, read as UTC)."""
    return isinstance(value, dt.datetime) and value.tzinfo is not None
