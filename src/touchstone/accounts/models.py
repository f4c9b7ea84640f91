"""Clinics (the tenant), their staff and the staff's API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import zoneinfo
from functools import cache
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from touchstone.accounts.roles import Role, role_has, roles_with
from touchstone.lib.npi import INVALID_NPI, npi_is_valid
from touchstone.science.change import CRITERIA

#: An Employer Identification Number as printed: two digits, a hyphen, seven digits.
EIN_RE = re.compile(r"^\d{2}-?\d{7}$")


@cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this machine knows (system zoneinfo or the tzdata package)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            "%(value)s is not a time zone name; use an IANA name such as America/Chicago.",
            params={"value": value},
            code="invalid_time_zone",
        )


def default_time_zone() -> str:
    """New clinics start in the server's TIME_ZONE; each owner sets their own."""
    return str(settings.TIME_ZONE)


#: The longest reminder lead time a clinic may choose (two weeks), in hours.
MAX_LEAD_HOURS = 24 * 14


def parse_lead_hours(text: str) -> list[int]:
    """``"48, 2"`` -> ``[48, 2]`` (distinct, longest first); ValueError on anything else."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    hours = sorted({int(p) for p in parts}, reverse=True)
    if any(h < 1 or h > MAX_LEAD_HOURS for h in hours):
        raise ValueError("out of range")
    return hours


def validate_lead_hours(text: str) -> None:
    try:
        parse_lead_hours(text)
    except ValueError:
        raise ValidationError(
            f"Enter whole hours between 1 and {MAX_LEAD_HOURS}, separated by commas, e.g. 48,2."
        ) from None


class Clinic(models.Model):
    """A practice: the tenant boundary. Every clinical row belongs to exactly one clinic."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text="Every date and time is shown, entered and exported in this zone, e.g. "
        "America/Chicago.",
    )
    require_two_factor = models.BooleanField(
        default=False, help_text="Every staff member must sign in with a one-time code."
    )
    idle_minutes = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(15), MaxValueValidator(30)],
        help_text="Staff are signed out after this many minutes without a request (15–30), "
        "besides the 8-hour limit of every session.",
    )
    crisis_line = models.CharField(
        max_length=200,
        default="Call or text 988 (Suicide & Crisis Lifeline, US)",
        help_text="Shown to clients at once when a risk item is answered positively.",
    )
    emergency_number = models.CharField(max_length=40, default="911")
    change_criteria = models.CharField(
        "How change is judged",
        max_length=30,
        choices=[
            (CRITERIA[0], "Jacobson & Truax: reliable change index and clinical cut-off"),
            (
                CRITERIA[1],
                "NHS Talking Therapies: PHQ-9 change ≥ 6 and caseness ≥ 10, GAD-7 ≥ 4 and ≥ 8",
            ),
        ],
        default=CRITERIA[0],
        help_text="Used wherever reliable change and recovery are shown: progress pages and "
        "reports, the home page and the outcomes dashboard (docs/change-statistics.md).",
    )
    unsigned_note_hours = models.PositiveSmallIntegerField(
        "Sign visit notes within (hours)",
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text="A completed visit's note still unsigned after this many hours is listed on "
        "its therapist's home page.",
    )
    alliance_after_visits = models.PositiveSmallIntegerField(
        "Alliance questionnaire after (visits)",
        default=3,  # care.plans.ALLIANCE_AFTER_VISITS
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="The WAI-SR falls due once per episode at the visit after this many "
        "completed visits (once the clinic can give it: its licensed text is entered).",
    )
    is_synthetic = models.BooleanField(
        default=False, help_text="Demo data made by `touchstone demo`; not real people."
    )
    # Identity on reports and superbills (reports app).
    address = models.CharField(max_length=250, blank=True, help_text="Street, city, state, ZIP.")
    phone = models.CharField(max_length=30, blank=True)
    npi = models.CharField(
        "Organisation NPI",
        max_length=10,
        blank=True,
        help_text="The clinic's type 2 (organisation) National Provider Identifier, 10 digits.",
    )
    tax_id = models.CharField(
        "Tax ID (EIN)", max_length=10, blank=True, help_text="Employer Identification Number."
    )
    fee_97124 = models.DecimalField(
        "Fee per 97124 unit",
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Charge per 15-minute unit of CPT 97124 (massage) on superbills.",
    )
    # Messages to clients (messaging app, docs/messaging.md).
    quiet_hours_start = models.TimeField(
        default=dt.time(21, 0),
        help_text="No reminder or link reaches a client from this time (clinic time)...",
    )
    quiet_hours_end = models.TimeField(
        default=dt.time(8, 0), help_text="...until this time; alerts to staff are never held."
    )
    reminder_lead_hours = models.CharField(
        "Reminder lead times",
        max_length=40,
        default="48,2",
        validators=[validate_lead_hours],
        help_text="Hours before an appointment at which the client is reminded, e.g. 48,2.",
    )
    escalation_minutes = models.PositiveSmallIntegerField(
        "Escalation time (minutes)",
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="A risk alert nobody acknowledges within this time goes to the next person "
        "on call and to the owner.",
    )
    # Questionnaires the measurement plans make due, sent as private links (portal.delivery).
    delivery_enabled = models.BooleanField(
        "Send due questionnaires automatically",
        default=False,
        help_text="The measurement plans' due questionnaires (and sleep diaries) go to clients "
        "as private links, by their chosen channel, before a visit or when they fall due.",
    )
    delivery_lead_hours = models.PositiveSmallIntegerField(
        "Send before a visit (hours)",
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LEAD_HOURS)],
        help_text="Questionnaires due for a visit are sent this many hours before it.",
    )
    delivery_reminder_days = models.PositiveSmallIntegerField(
        "Remind after (days)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(13)],
        help_text="A link not yet filled is reminded once, this many days after it was sent.",
    )
    delivery_valid_days = models.PositiveSmallIntegerField(
        "Links sent on the plan's schedule work for (days)",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(14)],
        help_text="Then they expire; links sent before a visit expire when it starts.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def reminder_leads(self) -> list[dt.timedelta]:
        """The reminder lead times, longest first."""
        return [dt.timedelta(hours=h) for h in parse_lead_hours(self.reminder_lead_hours)]

    def in_quiet_hours(self, when: dt.datetime) -> bool:
        """Whether ``when`` falls in the clinic's quiet hours (in its own time zone)."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        local = when.astimezone(self.zone).time()
        if start == end:
            return False
        if start < end:
            return start <= local < end
        return local >= start or local < end

    def after_quiet_hours(self, when: dt.datetime) -> dt.datetime:
        """``when``, or the end of the quiet hours it falls in."""
        if not self.in_quiet_hours(when):
            return when
        local = when.astimezone(self.zone)
        end = dt.datetime.combine(local.date(), self.quiet_hours_end, self.zone)
        if end <= local:
            end = dt.datetime.combine(
                local.date() + dt.timedelta(days=1), self.quiet_hours_end, self.zone
            )
        return end

    def has_clinician(self) -> bool:
        """Whether an active member may handle risk alerts (a licensed clinician) and can sign
        in to (their invitation accepted). A clinic made by ``touchstone setup`` has only its
        owner: until a clinician joins, alert notices go to the owners
        (``measures.escalation``) and no alert can be closed. One query."""
        clinicians = StaffMember.objects.filter(clinic=self).who_can("alerts.handle")
        return clinicians.signed_up().exists()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The clinic's time zone; activate it with ``django.utils.timezone.activate``."""
        return zoneinfo.ZoneInfo(self.time_zone)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.npi = (self.npi or "").strip()
        if self.npi and not npi_is_valid(self.npi):
            errors["npi"] = INVALID_NPI
        self.tax_id = (self.tax_id or "").strip()
        if self.tax_id and not EIN_RE.match(self.tax_id):
            errors["tax_id"] = "Enter the EIN as 12-3456789."
        if self.fee_97124 is not None and self.fee_97124 < 0:
            errors["fee_97124"] = "A fee cannot be negative."
        if errors:
            raise ValidationError(errors)


def can_filter(permission: str, via: str = "") -> models.Q:
    """``StaffMember.can(permission)`` as a filter: on staff members, or with ``via`` (e.g.
    ``"staff"``) on another table's rows through that relation, so a query of working hours
    keeps those of who treats with a join instead of a read of the staff first."""
    prefix = f"{via}__" if via else ""
    return models.Q(**{f"{prefix}is_active": True, f"{prefix}role__in": roles_with(permission)})


class StaffMemberQuerySet(models.QuerySet["StaffMember"]):
    def for_member(self, member: StaffMember) -> StaffMemberQuerySet:
        """Colleagues: the members of the same clinic."""
        return self.filter(clinic_id=member.clinic_id)

    def who_can(self, permission: str) -> StaffMemberQuerySet:
        """The members for whom ``StaffMember.can(permission)`` holds."""
        return self.filter(can_filter(permission))

    def signed_up(self) -> StaffMemberQuerySet:
        """Members whose login has a password: an invitation not yet accepted has none
        (``do_invite_staff`` sets an unusable one), so its clinician cannot sign in to take a
        risk alert."""
        return self.exclude(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)


class StaffMember(models.Model):
    """A user's membership in a clinic, with one role.

    One membership per user keeps the tenant of every request unambiguous; a person
    working for two clinics has two logins.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_member"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    phone = models.CharField(
        max_length=30, blank=True, help_text="For risk alerts by text message when on call."
    )
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)

    objects = StaffMemberQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["user__last_name", "user__first_name", "user__username"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        return self.name_of(self.user.first_name, self.user.last_name, self.user.get_username())

    @staticmethod
    def name_of(first_name: str, last_name: str, username: str) -> str:
        """The name shown for a staff member, from their user's fields (``get_full_name()``,
        else the username): for pages that read plain rows, not models (the calendar)."""
        return f"{first_name} {last_name}".strip() or username

    def can(self, permission: str) -> bool:
        return self.is_active and role_has(self.role, permission)


TOKEN_PREFIX = "ts"  # noqa: S105  (a label, not a secret)


def hash_token(secret: str) -> str:
    """SHA-256 of a token. Tokens carry 256 bits of randomness, so a fast hash is enough
    (a slow password hash protects guessable secrets; these are not guessable)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        """Not revoked and not expired."""
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )

    def for_member(self, member: StaffMember) -> ApiTokenQuerySet:
        """A member's own tokens: nobody, not even an owner, sees another's."""
        return self.filter(user_id=member.user_id)


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the secret is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="The token stops working then; empty: until revoked."
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def new_secret() -> tuple[str, str]:
        """A fresh token string and its display prefix."""
        prefix = secrets.token_hex(4)
        return f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


class StaffNoticeQuerySet(models.QuerySet["StaffNotice"]):
    def for_member(self, member: StaffMember) -> StaffNoticeQuerySet:
        """A member's own notices: nobody else's, in their clinic or another."""
        return self.filter(recipient_id=member.pk)

    def unread(self) -> StaffNoticeQuerySet:
        return self.filter(dismissed_at__isnull=True)


class StaffNotice(models.Model):
    """A notice to one staff member, on their home page until they dismiss it: e.g. that a
    colleague was given the clinician role (accounts.actions). Names staff, never clients."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="notices")
    text = models.CharField(max_length=400)
    created_at = models.DateTimeField(default=timezone.now)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    objects = StaffNoticeQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Notice to {self.recipient_id}"
