"""Every write to the schedule goes through these functions, with an explicit ``Actor`` first:
validated (the model's ``full_clean()`` and ``scheduling.rules``), written in one transaction
with its version and its audit event by ``audit.writes``.

Appointments are written under the conflict rule: the check and the write share one
transaction, which on SQLite holds the database's write lock from its first statement
(``BEGIN IMMEDIATE``), and on PostgreSQL first locks the staff member's and the room's rows
(``_lock_resources``) and then meets the exclusion constraints of migration 0002: a booking
that still loses a race is refused by the database and reported as the same
``AppointmentConflict`` as one refused by the check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from touchstone.accounts.models import StaffMember, hash_token
from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.actions import do_create_visit
from touchstone.care.models import Episode, VisitStatus
from touchstone.scheduling import feeds, rules
from touchstone.scheduling.availability import working_blocks
from touchstone.scheduling.models import (
    BOOKING_POLICY_FIELDS,
    HOURS_EXCEPTION_FIELDS,
    LOCATION_FIELDS,
    ROOM_FIELDS,
    SERVICE_FIELDS,
    STATUS_STAMPS,
    TIME_OFF_FIELDS,
    UPCOMING,
    WEEKLY_HOURS_FIELDS,
    Appointment,
    AppointmentSeries,
    BookingPolicy,
    CalendarFeed,
    HoursException,
    Location,
    Room,
    Service,
    Status,
    TimeOff,
    WeeklyHours,
    policy_for,
)
from touchstone.scheduling.signals import appointment_saved

#: What a booking names; ``ends_at`` defaults to the start plus the service's duration.
BOOKING_FIELDS = [
    "client",
    "staff",
    "service",
    "location",
    "room",
    "starts_at",
    "ends_at",
    "front_desk_note",
]
#: What a move (reschedule) may change, and what an edit of a past appointment may.
MOVE_FIELDS = ["staff", "service", "location", "room", "starts_at", "ends_at", "front_desk_note"]
NOTE_FIELDS = ["front_desk_note"]
#: Fields whose change re-applies the conflict rule and the hours.
TIME_FIELDS = {"staff", "location", "room", "starts_at", "ends_at"}


# The clinic's settings: services, locations, rooms, hours, time off, the booking policy -------


def _create(actor: Actor, obj: models.Model, data: dict[str, Any], fields: list[str]) -> Any:
    return writes.create(actor, obj, data, fields=fields, exclude=["clinic"])


def _update(actor: Actor, obj: models.Model, data: dict[str, Any], fields: list[str]) -> list[str]:
    return writes.update(actor, obj, data, fields=fields, exclude=["clinic"])


def do_create_service(actor: Actor, data: dict[str, Any]) -> Service:
    return _create(actor, Service(clinic=actor.clinic), data, SERVICE_FIELDS)


def do_update_service(actor: Actor, service: Service, data: dict[str, Any]) -> list[str]:
    return _update(actor, service, data, SERVICE_FIELDS)


def do_create_location(actor: Actor, data: dict[str, Any]) -> Location:
    return _create(actor, Location(clinic=actor.clinic), data, LOCATION_FIELDS)


def do_update_location(actor: Actor, location: Location, data: dict[str, Any]) -> list[str]:
    return _update(actor, location, data, LOCATION_FIELDS)


def do_create_room(actor: Actor, data: dict[str, Any]) -> Room:
    return _create(actor, Room(clinic=actor.clinic), data, ROOM_FIELDS)


def do_update_room(actor: Actor, room: Room, data: dict[str, Any]) -> list[str]:
    return _update(actor, room, data, ROOM_FIELDS)


def do_add_weekly_hours(actor: Actor, data: dict[str, Any]) -> WeeklyHours:
    return _create(actor, WeeklyHours(clinic=actor.clinic), data, WEEKLY_HOURS_FIELDS)


def do_update_weekly_hours(actor: Actor, hours: WeeklyHours, data: dict[str, Any]) -> list[str]:
    return _update(actor, hours, data, WEEKLY_HOURS_FIELDS)


def do_remove_weekly_hours(actor: Actor, hours: WeeklyHours) -> None:
    """Hours are removed, not archived: the history table keeps every version."""
    hours._history_user = actor.user  # type: ignore[attr-defined]
    with transaction.atomic():
        record(actor, Action.DELETE, hours)
        hours.delete()


def do_add_hours_exception(actor: Actor, data: dict[str, Any]) -> HoursException:
    return _create(actor, HoursException(clinic=actor.clinic), data, HOURS_EXCEPTION_FIELDS)


def do_remove_hours_exception(actor: Actor, exception: HoursException) -> None:
    exception._history_user = actor.user  # type: ignore[attr-defined]
    with transaction.atomic():
        record(actor, Action.DELETE, exception)
        exception.delete()


def do_add_time_off(actor: Actor, data: dict[str, Any]) -> TimeOff:
    return _create(actor, TimeOff(clinic=actor.clinic), data, TIME_OFF_FIELDS)


def do_remove_time_off(actor: Actor, time_off: TimeOff) -> None:
    time_off._history_user = actor.user  # type: ignore[attr-defined]
    with transaction.atomic():
        record(actor, Action.DELETE, time_off)
        time_off.delete()


def do_save_booking_policy(actor: Actor, data: dict[str, Any]) -> tuple[BookingPolicy, list[str]]:
    """Create the clinic's booking policy or change it; returns it and the changed fields."""
    policy = policy_for(actor.clinic)  # type: ignore[arg-type]
    if policy.pk is None:
        return _create(actor, policy, data, BOOKING_POLICY_FIELDS), sorted(data)
    return policy, _update(actor, policy, data, BOOKING_POLICY_FIELDS)


# Appointments ------------------------------------------------------------------------------


def _is_overlap_refusal(error: IntegrityError) -> bool:
    """Whether the database refused a row because it overlaps another (migration 0002)."""
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) == "23P01" or "scheduling_no_double_booking" in str(
        error
    )


def _lock_resources(appointment: Appointment) -> None:
    """Take the row locks of the appointment's staff member, then its room, for the rest of
    the transaction (``SELECT ... FOR UPDATE``; a no-op on SQLite, whose write transaction
    already excludes every other writer). Bookings of one staff member or room then queue up
    instead of racing, the check after the lock sees the winner's row and names it, and the
    fixed order (staff before room) means two bookings can never wait on each other: without
    it, PostgreSQL's two exclusion constraints, checked in either order, deadlocked."""
    list(StaffMember.objects.select_for_update().filter(pk=appointment.staff_id).values("pk"))
    if appointment.room_id is not None:
        list(Room.objects.select_for_update().filter(pk=appointment.room_id).values("pk"))


def _save_checked(
    actor: Actor,
    appointment: Appointment,
    action: Action,
    *,
    update_fields: Sequence[str] | None = None,
    detail: str = "",
    event: str = "booked",
    changed: Sequence[str] = (),
) -> Appointment:
    """Check that the time is free and save, in one transaction; a race lost to another
    booking (refused by the database) is the same ``AppointmentConflict``."""
    with transaction.atomic():
        _lock_resources(appointment)
        rules.check_free(appointment)
        try:
            with transaction.atomic():
                writes.save(actor, appointment, action, update_fields=update_fields, detail=detail)
        except IntegrityError as error:
            if not _is_overlap_refusal(error):
                raise
            raise rules.AppointmentConflict(
                appointment, rules.find_conflicts(appointment)
            ) from None
        _announce(actor, appointment, event, changed)
    return appointment


def _announce(actor: Actor, appointment: Appointment, event: str, changed: Sequence[str]) -> None:
    """Tell other apps (reminders) what happened, inside the write's transaction."""
    appointment_saved.send(
        Appointment, actor=actor, appointment=appointment, event=event, changed=list(changed)
    )


def _locate(appointment: Appointment) -> None:
    """Give an appointment without a location the one its room or its hours are at."""
    if appointment.room is not None:
        appointment.location_id = appointment.room.location_id
    if appointment.location_id is not None or not appointment.staff_id or not appointment.starts_at:
        return
    zone = appointment.clinic.zone
    day = timezone.localtime(appointment.starts_at, zone).date()
    for block in working_blocks(appointment.clinic, [appointment.staff_id], day, day)[
        appointment.staff_id
    ]:
        if block.start <= appointment.starts_at < block.end:
            appointment.location_id = block.location_id
            return
    only = list(Location.objects.filter(clinic_id=appointment.clinic_id, is_active=True)[:2])
    if len(only) == 1:
        appointment.location_id = only[0].pk


def _with_end(data: dict[str, Any], service: Service | None, keep: dt.timedelta | None) -> None:
    """Fill ``ends_at`` from the service's duration (or the kept duration of a move)."""
    if data.get("ends_at") is None and data.get("starts_at") is not None:
        duration = keep if keep is not None else (service.duration if service else None)
        if duration is not None:
            data["ends_at"] = data["starts_at"] + duration
    elif "ends_at" in data and data["ends_at"] is None:
        del data["ends_at"]


def _new_appointment(actor: Actor, data: dict[str, Any], override_reason: str) -> Appointment:
    """A validated, unsaved appointment (hours checked, location filled)."""
    data = {name: value for name, value in data.items() if name in BOOKING_FIELDS}
    _with_end(data, data.get("service"), None)
    appointment = Appointment(
        clinic=actor.clinic,
        channel=actor.channel,
        booked_by=actor.member,
        status=Status.BOOKED,
        booked_at=timezone.now(),
    )
    writes.apply(appointment, data, BOOKING_FIELDS, exclude=["clinic"])
    _locate(appointment)
    rules.check_hours(appointment, override_reason)
    return appointment


def do_book_appointment(
    actor: Actor, data: dict[str, Any], *, override_reason: str = ""
) -> Appointment:
    """Book ``data`` (client, staff, service, starts_at; optional ends_at — else the service's
    duration —, room, location, front_desk_note) under the scheduling rules.

    Raises ``ValidationError`` for bad values or a time outside the staff member's hours
    without ``override_reason``, and ``rules.AppointmentConflict`` when the time is taken.
    """
    appointment = _new_appointment(actor, data, override_reason)
    detail = "outside hours, overridden" if appointment.outside_hours else ""
    return _save_checked(actor, appointment, Action.CREATE, detail=detail)


def _week_later(start: dt.datetime, weeks: int, zone: Any) -> dt.datetime:
    """The same wall-clock time ``weeks`` weeks on, across daylight-saving changes."""
    local = timezone.localtime(start, zone).replace(tzinfo=None) + dt.timedelta(weeks=weeks)
    return timezone.make_aware(local, zone)


def do_book_series(
    actor: Actor, data: dict[str, Any], weeks: int, *, override_reason: str = ""
) -> list[Appointment]:
    """Weekly for ``weeks`` weeks at the same wall-clock time, all or nothing: when any week is
    taken or outside hours, nothing is booked and the error names every such week."""
    if not 2 <= weeks <= 52:
        raise ValidationError({"weeks": ["Book between 2 and 52 weeks."]})
    if data.get("starts_at") is None:
        raise ValidationError({"starts_at": ["Choose a start time."]})
    zone = actor.clinic.zone  # type: ignore[union-attr]
    duration = (
        data["ends_at"] - data["starts_at"] if data.get("ends_at") else data["service"].duration
    )
    occurrences: list[Appointment] = []
    problems: list[str] = []
    for week in range(weeks):
        start = _week_later(data["starts_at"], week, zone)
        when = f"{timezone.localtime(start, zone):%Y-%m-%d}"
        try:
            appointment = _new_appointment(
                actor, {**data, "starts_at": start, "ends_at": start + duration}, override_reason
            )
            rules.check_free(appointment)
        except ValidationError as error:
            problems.append(f"{when}: {' '.join(error.messages)}")
            continue
        occurrences.append(appointment)
    if problems:
        raise ValidationError({"starts_at": problems})
    client = data["client"]
    series = AppointmentSeries(clinic=actor.clinic, client=client, weeks=weeks)
    with transaction.atomic():
        writes.save(actor, series, Action.CREATE, detail=f"weekly, {weeks} weeks")
        for position, appointment in enumerate(occurrences, start=1):
            appointment.series, appointment.series_position = series, position
            _save_checked(actor, appointment, Action.CREATE, detail=f"series {position}/{weeks}")
    return occurrences


def do_move_appointment(
    actor: Actor, appointment: Appointment, data: dict[str, Any], *, override_reason: str = ""
) -> list[str]:
    """Reschedule (new time, staff member, room, service) or change the front-desk note.

    Only an upcoming appointment (booked or confirmed) can move; a moved confirmed appointment
    is booked again (the client confirmed another time). The end keeps the appointment's
    duration, or takes the new service's, unless given. Returns the changed fields; on an
    error nothing is saved (pass a freshly fetched appointment: its attributes are changed)."""
    data = {name: value for name, value in data.items() if name in MOVE_FIELDS}
    service_changed = "service" in data and data["service"] != appointment.service
    if "ends_at" not in data and ("starts_at" in data or service_changed):
        start = data.get("starts_at", appointment.starts_at)
        duration = (
            data["service"].duration
            if service_changed
            else appointment.ends_at - appointment.starts_at
        )
        data["ends_at"] = start + duration
    if data.get("room") is not None and "location" not in data:
        data["location"] = data["room"].location
    was = appointment.status
    changed = writes.apply(appointment, data, MOVE_FIELDS, exclude=["clinic"])
    if not changed:
        return []
    moved = set(changed) & (TIME_FIELDS | {"service"})
    if moved and was not in UPCOMING:
        raise ValidationError(
            {"starts_at": [f"A {Status(was).label.lower()} appointment cannot move."]}
        )
    fields = list(changed)
    detail = f"fields: {', '.join(sorted(changed))}"
    if moved:
        _locate(appointment)
        rules.check_hours(appointment, override_reason)
        fields += ["location", "outside_hours", "override_reason"]
        if appointment.outside_hours:
            detail += "; outside hours, overridden"
        if was == Status.CONFIRMED and "starts_at" in changed:
            appointment.status, appointment.confirmed_at = Status.BOOKED, None
            fields += ["status", "confirmed_at"]
    _save_checked(
        actor,
        appointment,
        Action.UPDATE,
        update_fields=sorted(set(fields)),
        detail=detail,
        event="moved" if moved else "note",
        changed=sorted(changed),
    )
    return sorted(changed)


def _stamp(appointment: Appointment, status: str, now: dt.datetime) -> list[str]:
    appointment.status = status
    fields = ["status"]
    stamp = STATUS_STAMPS.get(status)
    if stamp:
        setattr(appointment, stamp, now)
        fields.append(stamp)
    return fields


def do_set_status(
    actor: Actor,
    appointment: Appointment,
    status: str,
    *,
    reason: str = "",
    by_client: bool = False,
) -> Appointment:
    """Move ``appointment`` along the status machine and stamp the time. Checking in goes
    through ``do_check_in`` (it creates the visit); cancelling from the client's side through
    ``do_cancel_appointment`` (it applies the cancellation policy)."""
    if status == Status.ARRIVED:
        return do_check_in(actor, appointment)
    rules.check_transition(appointment, status)
    now = timezone.now()
    if status == Status.NO_SHOW and now < appointment.starts_at:
        raise ValidationError({"status": ["A no-show is recorded once the appointment has begun."]})
    fields = _stamp(appointment, status, now)
    if status in (Status.CANCELLED, Status.LATE_CANCELLED):
        appointment.cancelled_by_client = by_client
        appointment.cancel_reason = (reason or "").strip()[:200]
        fields += ["cancelled_by_client", "cancel_reason"]
    detail = f"status: {status}" + ("; by the client" if by_client else "")
    with transaction.atomic():
        writes.save(actor, appointment, Action.UPDATE, update_fields=fields, detail=detail)
        _announce(actor, appointment, "status", fields)
    return appointment


def do_confirm_appointment(actor: Actor, appointment: Appointment) -> Appointment:
    """The client confirmed (a reminder's link, a phone call); already confirmed is a no-op."""
    if appointment.status == Status.CONFIRMED:
        return appointment
    return do_set_status(actor, appointment, Status.CONFIRMED)


def is_late(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """Whether cancelling now falls inside the clinic's cancellation notice."""
    notice = policy_for(appointment.clinic).cancellation_notice
    return (now or timezone.now()) > appointment.starts_at - notice


def do_cancel_appointment(
    actor: Actor,
    appointment: Appointment,
    *,
    by_client: bool,
    reason: str = "",
    late: bool | None = None,
    accept_late: bool = False,
) -> Appointment:
    """Cancel under the clinic's cancellation policy.

    Whether it is a late cancellation follows the policy's notice unless staff say otherwise
    (``late``). A client cancelling by themselves (portal, a reminder's link) may do so before
    the notice starts; inside it only when they have accepted, on the client's booking page,
    that it is recorded as a late cancellation (``accept_late``); otherwise they are asked to
    call the clinic."""
    inside_notice = is_late(appointment)
    if by_client and actor.member is None and inside_notice and not accept_late:
        hours = policy_for(appointment.clinic).cancellation_notice_hours
        raise ValidationError(
            {
                "status": [  # the client reads it, in their language (docs/languages.md)
                    _(
                        "Less than %(hours)d hours before the appointment it can only be "
                        "cancelled by calling the clinic."
                    )
                    % {"hours": hours}
                ]
            }
        )
    status = (
        Status.LATE_CANCELLED if (inside_notice if late is None else late) else Status.CANCELLED
    )
    return do_set_status(actor, appointment, status, reason=reason, by_client=by_client)


def _open_episode(appointment: Appointment) -> Episode | None:
    today = timezone.localdate()
    return (
        Episode.objects.filter(clinic_id=appointment.clinic_id, client_id=appointment.client_id)
        .filter(models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=today))
        .order_by("-started_on", "-id")
        .first()
    )


def do_check_in(actor: Actor, appointment: Appointment) -> Appointment:
    """The client arrived: the appointment becomes ``arrived`` and its care ``Visit`` is
    created and linked, with time, duration, therapist, client, modality and the open episode
    taken from the appointment, so the therapist documents it without typing any of it again.
    Check-in happens on the appointment's day (the clinic's date), not ahead of it."""
    rules.check_transition(appointment, Status.ARRIVED)
    day = timezone.localtime(appointment.starts_at, appointment.clinic.zone).date()
    today = timezone.localtime(timezone.now(), appointment.clinic.zone).date()
    if day > today:
        raise ValidationError({"status": ["Check a client in on the day of their appointment."]})
    with transaction.atomic():
        visit = do_create_visit(
            actor,
            appointment.client,
            {
                "therapist": appointment.staff,
                "starts_at": appointment.starts_at,
                "duration_min": min(appointment.duration_min, 240),
                "status": VisitStatus.SCHEDULED,
                "modality": appointment.service.modality,
                "episode": _open_episode(appointment),
            },
        )
        appointment.visit = visit
        fields = [*_stamp(appointment, Status.ARRIVED, timezone.now()), "visit"]
        writes.save(actor, appointment, Action.UPDATE, update_fields=fields, detail="checked in")
        _announce(actor, appointment, "status", fields)
    return appointment


def complete_for_visit(actor: Actor, appointment: Appointment) -> None:
    """The therapist completed the visit an arrived appointment became: the appointment is
    completed too (``apps.SchedulingConfig`` connects it to care's ``visit_saved``)."""
    if appointment.status == Status.ARRIVED:
        do_set_status(actor, appointment, Status.COMPLETED)


# Calendar feeds -----------------------------------------------------------------------------


def do_create_calendar_feed(actor: Actor) -> tuple[CalendarFeed, str]:
    """A new secret feed URL for the acting staff member; their earlier feed stops working
    (one feed each). Returns the row and the secret, which is shown once and never stored."""
    staff = actor.staff
    secret = feeds.new_secret()
    with transaction.atomic():
        for old in CalendarFeed.objects.active().filter(staff_id=staff.pk):
            do_revoke_calendar_feed(actor, old)
        feed = CalendarFeed(clinic=actor.clinic, staff=staff, key_hash=hash_token(secret))
        feed.save()
        record(actor, Action.GRANT, feed, detail="calendar feed")
    return feed, secret


def do_revoke_calendar_feed(actor: Actor, feed: CalendarFeed) -> None:
    """Stop a feed URL at once (a lost phone, a URL shared by mistake)."""
    if feed.revoked_at is not None:
        return
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    record(actor, Action.REVOKE, feed, detail="calendar feed")
