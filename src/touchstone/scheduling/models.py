"""Scheduling: what the clinic offers (services), where (locations and their rooms), when its
staff work (weekly hours with breaks, day exceptions, time off), the clinic's booking policy,
and appointments — a booked time for a client with a staff member, a service and a room, which
becomes the care ``Visit`` when the client is checked in.

Every model is clinic-owned and versioned (django-simple-history). Field rules live in
``clean()``; the rules that need the database (no double booking, inside the staff member's
hours unless overridden, the status machine) live in ``scheduling.rules`` and are applied by
``scheduling.actions``, the one way web, API, portal, import and jobs write appointments. On
top of that the database itself refuses two overlapping appointments of one staff member or
one room (a PostgreSQL exclusion constraint, SQLite triggers: migration 0002).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from touchstone.accounts.access import ClinicOwned, ClinicOwnedQuerySet
from touchstone.accounts.models import Clinic, StaffMember
from touchstone.care.models import Modality, Visit
from touchstone.clients.models import Client

#: CPT Category I (five digits), Category III (four digits and T) or HCPCS Level II (a letter
#: A-V and four digits): the shapes a billing code can take on a claim.
BILLING_CODE_RE = re.compile(r"^(\d{5}|\d{4}T|[A-V]\d{4})$")
#: Codes a massage clinic commonly bills, for the service form's suggestions. Labels are our
#: own plain words (the CPT descriptors are the AMA's text); all four are timed 15-minute codes
#: whose units follow the CMS 8-minute rule (``science.billing``).
COMMON_BILLING_CODES = {
    "97124": "Massage (effleurage, petrissage, tapotement)",
    "97140": "Manual therapy techniques (myofascial release, mobilisation)",
    "97112": "Neuromuscular re-education",
    "97110": "Therapeutic exercise",
}


class Location(ClinicOwned):
    """A place where the clinic sees clients; rooms and staff hours belong to one location.
    Every location is in the clinic's time zone."""

    name = models.CharField(max_length=100)
    address = models.CharField(max_length=250, blank=True, help_text="Shown to clients.")
    is_active = models.BooleanField("Active", default=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["name", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "name"], name="scheduling_location_name")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        if not self.name:
            raise ValidationError({"name": "Name the location."})


LOCATION_FIELDS = ["name", "address", "is_active"]


class Room(ClinicOwned):
    """A treatment room (or another resource one appointment uses at a time)."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=60)
    is_active = models.BooleanField("Active", default=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["location__name", "name", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["location", "name"], name="scheduling_room_name")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        errors: dict[str, str] = {}
        if not self.name:
            errors["name"] = "Name the room."
        if self.location_id and self.location.clinic_id != self.clinic_id:
            errors["location"] = "Choose a location of this clinic."
        if errors:
            raise ValidationError(errors)


ROOM_FIELDS = ["location", "name", "is_active"]


class Service(ClinicOwned):
    """What the clinic offers and bills: a name, a duration, the modality and a billing code.

    Its price is not here: the fee schedule (``billing.Fee``, fees with effective dates and
    their history) is the one source of what a service costs; billing computes every charge.
    """

    name = models.CharField(max_length=120)
    duration_min = models.PositiveSmallIntegerField(
        "Duration (minutes)", validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.SWEDISH)
    billing_code = models.CharField(
        "Billing code (CPT/HCPCS)",
        max_length=5,
        blank=True,
        help_text="e.g. 97124 (massage) or 97140 (manual therapy); blank if not billed.",
    )
    description = models.CharField(
        max_length=300, blank=True, help_text="Shown to clients who book online."
    )
    bookable_online = models.BooleanField(
        "Clients may book it online", default=True, help_text="Through their private link."
    )
    is_active = models.BooleanField("Active", default=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["name", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "name"], name="scheduling_service_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_min} min)"

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.duration_min)

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        self.billing_code = (self.billing_code or "").strip().upper()
        errors: dict[str, str] = {}
        if not self.name:
            errors["name"] = "Name the service."
        if self.billing_code and not BILLING_CODE_RE.match(self.billing_code):
            errors["billing_code"] = (
                "A billing code is five digits (CPT, e.g. 97124), four digits and T, or a "
                "letter and four digits (HCPCS)."
            )
        if errors:
            raise ValidationError(errors)


SERVICE_FIELDS = [
    "name",
    "duration_min",
    "modality",
    "billing_code",
    "description",
    "bookable_online",
    "is_active",
]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def _treats(member: StaffMember | None) -> bool:
    """Appointments and hours are for the people who give massage (the roles with care.edit):
    the visit a check-in creates needs one as its therapist."""
    return member is not None and member.can("care.edit")


class _Hours(ClinicOwned):
    """A block of working time at a location, with an optional break inside it."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    starts = models.TimeField("From")
    ends = models.TimeField("To")
    break_starts = models.TimeField("Break from", null=True, blank=True)
    break_ends = models.TimeField("Break to", null=True, blank=True)

    class Meta:
        abstract = True

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.staff_id and (self.staff.clinic_id != self.clinic_id or not _treats(self.staff)):
            errors["staff"] = "Choose a member of staff of this clinic who treats clients."
        if self.location_id and self.location.clinic_id != self.clinic_id:
            errors["location"] = "Choose a location of this clinic."
        if self.starts and self.ends and self.ends <= self.starts:
            errors["ends"] = "The end must be after the start (hours cannot run past midnight)."
        if (self.break_starts is None) != (self.break_ends is None):
            errors["break_ends"] = "Give both ends of the break, or neither."
        elif (
            self.break_starts
            and self.break_ends
            and self.starts
            and self.ends
            and not self.starts < self.break_starts < self.break_ends < self.ends
        ):
            errors["break_starts"] = "The break must lie inside the hours."
        if errors:
            raise ValidationError(errors)

    @property
    def blocks(self) -> list[tuple[dt.time, dt.time]]:
        """The working time as one or two blocks (before and after the break)."""
        if self.break_starts and self.break_ends:
            return [(self.starts, self.break_starts), (self.break_ends, self.ends)]
        return [(self.starts, self.ends)]


class WeeklyHours(_Hours):
    """A staff member's regular hours on one weekday at one location (several rows make a split
    day), valid between two optional dates."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    valid_from = models.DateField(null=True, blank=True, help_text="Blank: from now on.")
    valid_until = models.DateField(null=True, blank=True, help_text="Blank: no end.")
    bookable_online = models.BooleanField(
        "Bookable online", default=True, help_text="Clients may book these hours themselves."
    )

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["staff_id", "weekday", "starts", "id"]
        verbose_name_plural = "weekly hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def applies_on(self, day: dt.date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_until is None or day <= self.valid_until)
        )

    def clean(self) -> None:
        super().clean()
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": "The end date cannot be before the start."})
        if self.staff_id and self.starts and self.ends and self.weekday is not None:
            for other in WeeklyHours.objects.filter(
                staff_id=self.staff_id, weekday=self.weekday
            ).exclude(pk=self.pk):
                if (
                    _dates_overlap(self, other)
                    and self.starts < other.ends
                    and other.starts < self.ends
                ):
                    raise ValidationError(
                        {"starts": f"These hours overlap {other} of the same staff member."}
                    )


def _dates_overlap(a: WeeklyHours, b: WeeklyHours) -> bool:
    start = max(a.valid_from or dt.date.min, b.valid_from or dt.date.min)
    end = min(a.valid_until or dt.date.max, b.valid_until or dt.date.max)
    return start <= end


WEEKLY_HOURS_FIELDS = [
    "staff",
    "location",
    "weekday",
    "starts",
    "ends",
    "break_starts",
    "break_ends",
    "valid_from",
    "valid_until",
    "bookable_online",
]


class HoursException(_Hours):
    """Different hours on one date: the exceptions of a date replace that date's weekly hours
    (several rows make a split day). To take a whole day off, record time off instead."""

    day = models.DateField()
    bookable_online = models.BooleanField("Bookable online", default=True)
    note = models.CharField(max_length=200, blank=True, help_text="Nothing about clients.")

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["day", "staff_id", "starts", "id"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.staff_id and self.day and self.starts and self.ends:
            clash = (
                HoursException.objects.filter(
                    staff_id=self.staff_id, day=self.day, starts__lt=self.ends, ends__gt=self.starts
                )
                .exclude(pk=self.pk)
                .first()
            )
            if clash is not None:
                raise ValidationError({"starts": f"These hours overlap {clash}."})


HOURS_EXCEPTION_FIELDS = [
    "staff",
    "location",
    "day",
    "starts",
    "ends",
    "break_starts",
    "break_ends",
    "bookable_online",
    "note",
]


class TimeOffKind(models.TextChoices):
    VACATION = "vacation", "Vacation"
    SICK = "sick", "Sick"
    TRAINING = "training", "Training"
    PERSONAL = "personal", "Personal"
    OTHER = "other", "Other"


class TimeOff(ClinicOwned):
    """A span in which a staff member is away, whatever their hours say."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField("From")
    ends_at = models.DateTimeField("Until")
    kind = models.CharField(max_length=10, choices=TimeOffKind.choices, default="vacation")
    note = models.CharField(max_length=200, blank=True, help_text="Nothing about clients.")

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["starts_at", "id"]
        verbose_name_plural = "time off"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.staff_id and self.staff.clinic_id != self.clinic_id:
            errors["staff"] = "Choose a member of staff of this clinic."
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None and timezone.is_naive(value):
                errors[name] = "The time needs a time zone."
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The end must be after the start."
        if errors:
            raise ValidationError(errors)


TIME_OFF_FIELDS = ["staff", "starts_at", "ends_at", "kind", "note"]


class SlotStep(models.IntegerChoices):
    QUARTER = 15, "every 15 minutes"
    HALF = 30, "every 30 minutes"
    HOUR = 60, "every hour"


class BookingPolicy(ClinicOwned):
    """The clinic's rules for clients who book, reschedule and cancel through their private
    link, and what calendar feeds may show. One per clinic (``policy_for``)."""

    online_booking = models.BooleanField(
        "Clients may book online",
        default=False,
        help_text="Through a private link the clinic sends them (no account).",
    )
    new_clients_online = models.BooleanField(
        "New clients may book online",
        default=False,
        help_text="Clients with no visit yet. Off: their first visit is booked by the clinic.",
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        "Minimum notice (hours)",
        default=12,
        validators=[MaxValueValidator(720)],
        help_text="No online booking closer to the start than this.",
    )
    max_days_ahead = models.PositiveSmallIntegerField(
        "Book up to (days ahead)",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    slot_step_min = models.PositiveSmallIntegerField(
        "Offer start times", choices=SlotStep.choices, default=SlotStep.HALF
    )
    cancellation_notice_hours = models.PositiveSmallIntegerField(
        "Cancellation notice (hours)",
        default=24,
        validators=[MaxValueValidator(168)],
        help_text="Clients may cancel or reschedule online until this long before the start; "
        "later they may only cancel, recorded as a late cancellation once they accept it.",
    )
    max_upcoming_online = models.PositiveSmallIntegerField(
        "Upcoming appointments a client may hold online",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
    )
    feed_initials = models.BooleanField(
        "Calendar feeds show client initials",
        default=False,
        help_text="Off: a staff member's calendar feed shows the service only, never who.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "booking policies"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic"], name="scheduling_policy_per_clinic")
        ]

    def __str__(self) -> str:
        return f"Booking policy of clinic {self.clinic_id}"

    @property
    def cancellation_notice(self) -> dt.timedelta:
        return dt.timedelta(hours=self.cancellation_notice_hours)

    @property
    def min_notice(self) -> dt.timedelta:
        return dt.timedelta(hours=self.min_notice_hours)


BOOKING_POLICY_FIELDS = [
    "online_booking",
    "new_clients_online",
    "min_notice_hours",
    "max_days_ahead",
    "slot_step_min",
    "cancellation_notice_hours",
    "max_upcoming_online",
    "feed_initials",
]


def policy_for(clinic: Clinic) -> BookingPolicy:
    """The clinic's booking policy: the stored one, or the defaults (unsaved) if none yet."""
    return BookingPolicy.objects.filter(clinic_id=clinic.pk).first() or BookingPolicy(clinic=clinic)


class Status(models.TextChoices):
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    ARRIVED = "arrived", "Arrived"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    LATE_CANCELLED = "late_cancelled", "Late cancellation"
    NO_SHOW = "no_show", "No-show"


#: Statuses that hold the staff member's and the room's time: nobody else may be booked then.
#: A cancellation (on time or late) frees the time; so does a no-show, which is recorded after
#: the fact (the client did not come, the time is the clinic's again).
BLOCKING = (Status.BOOKED, Status.CONFIRMED, Status.ARRIVED, Status.COMPLETED)
#: Statuses still to happen: the ones a reminder, a reschedule or a cancellation concern.
UPCOMING = (Status.BOOKED, Status.CONFIRMED)
#: The status machine: from each status, where an appointment may go. ``rules.check_transition``
#: is the one place that reads it.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.BOOKED: frozenset(
        {
            Status.CONFIRMED,
            Status.ARRIVED,
            Status.CANCELLED,
            Status.LATE_CANCELLED,
            Status.NO_SHOW,
        }
    ),
    Status.CONFIRMED: frozenset(
        {Status.ARRIVED, Status.CANCELLED, Status.LATE_CANCELLED, Status.NO_SHOW}
    ),
    Status.ARRIVED: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.LATE_CANCELLED: frozenset(),
    Status.NO_SHOW: frozenset(),
}
#: The timestamp each status sets when an appointment reaches it.
STATUS_STAMPS: dict[str, str] = {
    Status.CONFIRMED: "confirmed_at",
    Status.ARRIVED: "arrived_at",
    Status.COMPLETED: "completed_at",
    Status.CANCELLED: "cancelled_at",
    Status.LATE_CANCELLED: "cancelled_at",
    Status.NO_SHOW: "no_show_at",
}


class AppointmentSeries(ClinicOwned):
    """Appointments booked together, weekly for N weeks (a course of massage). Each occurrence
    is an ordinary appointment: moving or cancelling one leaves the others as they are."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2), MaxValueValidator(52)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "appointment series"

    def __str__(self) -> str:
        return f"Weekly for {self.weeks} weeks"


class AppointmentQuerySet(ClinicOwnedQuerySet["Appointment"]):
    def blocking(self) -> AppointmentQuerySet:
        return self.filter(status__in=BLOCKING)

    def overlapping(self, start: dt.datetime, end: dt.datetime) -> AppointmentQuerySet:
        """Appointments that share any time with [start, end)."""
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class Appointment(ClinicOwned):
    """A booked time for a client with a staff member, a service and (optionally) a room.

    Checking in (status ``arrived``) creates the care ``Visit`` the therapist documents, with
    its time, therapist, client, duration and modality taken from here; ``visit`` links the
    two, so the massage is recorded once.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    staff = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, related_name="+", verbose_name="With"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    starts_at = models.DateTimeField("Starts")
    ends_at = models.DateTimeField("Ends")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    booked_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_client = models.BooleanField(default=False)
    cancel_reason = models.CharField(
        "Reason", max_length=200, blank=True, help_text="Nothing clinical."
    )
    front_desk_note = models.TextField(
        "Note for the front desk",
        blank=True,
        help_text="Practical notes only (parking, preferred room); nothing clinical.",
    )
    outside_hours = models.BooleanField(
        default=False, help_text="Booked outside the staff member's hours, with an override."
    )
    override_reason = models.CharField(max_length=200, blank=True)
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    series_position = models.PositiveSmallIntegerField(null=True, blank=True)
    visit = models.OneToOneField(
        Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="appointment"
    )
    channel = models.CharField(
        "Booked through", max_length=10, default="web", help_text="web, api, portal, cli, job"
    )
    booked_by = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords()
    objects = AppointmentQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar = ["starts_at", "id"]
        indexes: ClassVar = [
            models.Index(fields=["clinic", "starts_at"]),
            models.Index(fields=["staff", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"Appointment {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def duration_min(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_blocking(self) -> bool:
        return self.status in BLOCKING

    @property
    def is_upcoming(self) -> bool:
        return self.status in UPCOMING

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.client_id and self.client.clinic_id != self.clinic_id:
            errors["client"] = "Choose a client of this clinic."
        elif self.client_id and self.client.is_archived and self.status in UPCOMING:
            errors["client"] = "This client is archived; restore them before booking."
        if self.staff_id and (self.staff.clinic_id != self.clinic_id or not _treats(self.staff)):
            errors["staff"] = "Choose a member of staff of this clinic who treats clients."
        elif self.staff_id and not self.staff.is_active:
            errors["staff"] = "This member of staff is no longer active."
        if self.service_id and self.service.clinic_id != self.clinic_id:
            errors["service"] = "Choose a service of this clinic."
        if self.room is not None:
            if self.room.clinic_id != self.clinic_id:
                errors["room"] = "Choose a room of this clinic."
            elif self.location_id and self.room.location_id != self.location_id:
                errors["room"] = "This room is at another location."
        if self.location is not None and self.location.clinic_id != self.clinic_id:
            errors["location"] = "Choose a location of this clinic."
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None and timezone.is_naive(value):
                errors[name] = "The time needs a time zone."
        if self.starts_at and self.ends_at and "starts_at" not in errors:
            if self.ends_at <= self.starts_at:
                errors["ends_at"] = "The end must be after the start."
            elif self.ends_at - self.starts_at > dt.timedelta(hours=8):
                errors["ends_at"] = "An appointment lasts at most 8 hours."
        if self.outside_hours and not (self.override_reason or "").strip():
            errors["override_reason"] = "Say why the appointment is outside the hours."
        if errors:
            raise ValidationError(errors)


APPOINTMENT_FIELDS = [
    "client",
    "staff",
    "service",
    "location",
    "room",
    "starts_at",
    "ends_at",
    "front_desk_note",
    "outside_hours",
    "override_reason",
]


class CalendarFeedQuerySet(ClinicOwnedQuerySet["CalendarFeed"]):
    def active(self) -> CalendarFeedQuerySet:
        return self.filter(revoked_at__isnull=True)


class CalendarFeed(ClinicOwned):
    """A staff member's secret calendar feed URL (iCalendar), for their phone's calendar.

    Only the SHA-256 of its secret is stored, as for API tokens: the URL is shown once, and
    revoking the feed (or making a new one) stops the old URL at once. The feed carries the
    service, times and place of the staff member's appointments, and a client's initials only
    where the clinic's booking policy allows them (``feed_initials``), never a name.
    """

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Calendar feed #{self.pk}"
