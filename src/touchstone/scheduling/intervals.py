"""Half-open time intervals ``[start, end)`` and the arithmetic availability needs: union,
subtraction and fitting a duration. Plain Python on aware datetimes (no Django, no database),
so the rules and the free-slot search share one tested implementation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

Interval = tuple[dt.datetime, dt.datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union of ``intervals`` as sorted, disjoint intervals (touching ones joined)."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """``intervals`` with every point of ``holes`` removed, sorted and disjoint."""
    result = merge(intervals)
    for hole_start, hole_end in merge(holes):
        pieces: list[Interval] = []
        for start, end in result:
            if hole_end <= start or end <= hole_start:
                pieces.append((start, end))
                continue
            if start < hole_start:
                pieces.append((start, hole_start))
            if hole_end < end:
                pieces.append((hole_end, end))
        result = pieces
    return result


def covers(intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime) -> bool:
    """Whether [start, end) lies inside one interval of the union of ``intervals``."""
    return any(s <= start and end <= e for s, e in merge(intervals))


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def starts_within(
    free: Iterable[Interval], duration: dt.timedelta, step: dt.timedelta, origin: dt.datetime
) -> Iterator[dt.datetime]:
    """Start times ``origin + k * step`` (k an integer) at which ``duration`` fits inside one of
    the ``free`` intervals, in order. ``origin`` aligns the grid (e.g. local midnight), so the
    offered times read 9:00, 9:30, ... whatever the free interval's own start."""
    for start, end in merge(free):
        k = -((origin - start) // step)  # the first grid point at or after ``start``
        candidate = origin + k * step
        while candidate + duration <= end:
            yield candidate
            candidate += step
