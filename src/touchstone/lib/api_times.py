"""Date-times at the API's edge, in the clinic's time zone.

``TokenAuth`` activates the token's clinic zone (``ClinicTimeZoneMiddleware`` resets it after
the response), so an API client sees and sends the clinic's wall-clock times.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.utils import timezone
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import AfterValidator, WithJsonSchema

#: The widest UTC offsets in use (Baker Island -12:00, Kiribati's Line Islands +14:00). ISO 8601
#: and Python accept up to +/-23:59, but PostgreSQL refuses a displacement beyond +/-15:59 with a
#: database error, so an offset outside the real range is refused here with a clear message.
_LARGEST_OFFSET = dt.timedelta(hours=14)


def _in_clinic_zone(value: dt.datetime) -> dt.datetime:
    """A time without an offset is the clinic's wall-clock time; one with an offset is that
    instant, stored in UTC."""
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    offset = value.utcoffset() or dt.timedelta(0)
    if abs(offset) > _LARGEST_OFFSET:
        raise ValueError("UTC offset must be between -14:00 and +14:00")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC instant
        raise ValueError("date-time out of range") from None


#: The type of every date-time an API client sends: ``2026-03-02T09:30`` is 9:30 in the
#: clinic's zone, ``2026-03-02T09:30:00-06:00`` is that instant wherever the clinic is.
ClinicDateTime = Annotated[dt.datetime, AfterValidator(_in_clinic_zone)]


def _wall_clock(value: dt.time) -> dt.time:
    """A diary's clock time as the person read it: an offset sent with it is dropped."""
    return value.replace(tzinfo=None)


#: A time of day on the wall clock where it happened (a sleep diary's bedtime): ``23:10``.
#: ``23:10:00+02:00`` is read as 23:10; the offset says nothing about a night's length.
#: Documented as RFC 3339's ``partial-time`` (JSON Schema's ``time`` format requires an offset).
WallClockTime = Annotated[
    dt.time,
    AfterValidator(_wall_clock),
    WithJsonSchema(
        {
            "type": "string",
            "format": "partial-time",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$",
            "description": "Wall-clock time, e.g. 23:10",
        }
    ),
]


class _ClinicTimeEncoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)  # the clinic's zone, with its offset
        return super().default(o)


class ClinicTimeRenderer(JSONRenderer):
    """JSON whose date-times carry the clinic's offset (``…T09:30:00-06:00``), not UTC."""

    encoder_class = _ClinicTimeEncoder
