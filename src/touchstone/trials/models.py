"""Controlled studies run inside routine care (docs/trials.md).

A *controlled study* (never "study": that word is the evidence library's published study) is
designed as a draft, then **registered**: its protocol is frozen as version 1 with its SHA-256,
and every later change is a numbered **amendment** with its own hash, never an edit. Clients
are **screened** (assessed for eligibility), give **consent** to a versioned consent text and
are **enrolled**; only then is their arm computed from the study's sealed seed
(``science.trials.randomisation``) and stored on the enrolment. The seed lives in
``AllocationSeal``, which no page, API or export reads: the protocol carries only its SHA-256.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils import timezone

from touchstone.accounts.access import ClinicOwned
from touchstone.accounts.models import StaffMember
from touchstone.care.models import Episode
from touchstone.clients.models import Client

# Re-exported: the registration's hashing lives in the science core (shared with the
# network's stepped-wedge studies).
from touchstone.science.registration import canonical_json as canonical_json
from touchstone.science.registration import sha256_of as sha256_of


class FrozenError(RuntimeError):
    """Raised on any attempt to change a registered protocol version or a consent text."""


class _Frozen(ClinicOwned):
    """Rows written once and never changed (protocol versions, consent texts)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise FrozenError(f"a {self._meta.verbose_name} cannot be changed; add a new version")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise FrozenError(f"a {self._meta.verbose_name} cannot be deleted")


class Design(models.TextChoices):
    WAITLIST = "waitlist", "Randomised wait-list (immediate vs delayed start)"
    TWO_ARM = "two_arm", "Randomised comparison of two care arms"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    REGISTERED = "registered", "Registered (enrolling)"
    CLOSED = "closed", "Closed to enrolment"


class ControlledStudy(ClinicOwned):
    """A pragmatic controlled study inside the clinic's routine care."""

    title = models.CharField(max_length=200)
    design = models.CharField(max_length=10, choices=Design.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    draft = models.JSONField(default=dict, help_text="The protocol while it is a draft.")
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name_plural = "controlled studies"

    def __str__(self) -> str:
        return self.title


class ProtocolVersion(_Frozen):
    """One frozen version of a study's protocol: 1 is the registration, later ones amendments."""

    study = models.ForeignKey(ControlledStudy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    sha256 = models.CharField("SHA-256", max_length=64)
    reason = models.TextField(blank=True, help_text="Why the protocol was amended.")
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["study", "number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["study", "number"], name="one_protocol_version_number")
        ]

    def __str__(self) -> str:
        return f"protocol v{self.number}"


class ConsentText(_Frozen):
    """A version of the consent text clients agree to (a change is a new version)."""

    study = models.ForeignKey(ControlledStudy, on_delete=models.PROTECT, related_name="consents")
    version = models.PositiveIntegerField()
    text = models.TextField()
    sha256 = models.CharField("SHA-256", max_length=64)
    created_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["study", "-version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["study", "version"], name="one_consent_version")
        ]

    def __str__(self) -> str:
        return f"consent v{self.version}"


class AllocationSeal(ClinicOwned):
    """The study's randomisation seed. Read only by ``trials.actions`` when a client is
    enrolled (one allocation at a time) and by the audit regeneration after closing; no
    view, API, export or template reads it."""

    study = models.OneToOneField(ControlledStudy, on_delete=models.PROTECT, related_name="seal")
    seed_hex = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)


class ExclusionReason(models.TextChoices):
    """CONSORT's reasons for exclusion before randomisation."""

    NOT_ELIGIBLE = "not_eligible", "Not meeting inclusion criteria"
    DECLINED = "declined", "Declined to participate"
    OTHER = "other", "Other reasons"


class Screening(ClinicOwned):
    """A client assessed for eligibility (CONSORT's first box)."""

    study = models.ForeignKey(ControlledStudy, on_delete=models.PROTECT, related_name="screenings")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    eligible = models.BooleanField()
    exclusion_reason = models.CharField(max_length=14, choices=ExclusionReason.choices, blank=True)
    screened_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    screened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["study", "screened_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["study", "client"], name="one_screening_per_client")
        ]


class Enrolment(ClinicOwned):
    """A consenting, eligible client randomised into the study; ``arm`` indexes the
    protocol's arms (0 is the control: the wait-list in a wait-list design)."""

    study = models.ForeignKey(ControlledStudy, on_delete=models.PROTECT, related_name="enrolments")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    screening = models.OneToOneField(Screening, on_delete=models.PROTECT, related_name="enrolment")
    consent = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    consented_on = models.DateField()
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    stratum = models.CharField(max_length=100)
    position = models.PositiveIntegerField(help_text="0-based place in the stratum's sequence.")
    arm = models.PositiveSmallIntegerField()
    received = models.BooleanField(default=True, help_text="Received the allocated care.")
    not_received_reason = models.CharField(max_length=200, blank=True)
    enrolled_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    enrolled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["study", "enrolled_at", "id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["study", "client"], name="one_enrolment_per_client"),
            models.UniqueConstraint(
                fields=["study", "stratum", "position"], name="one_enrolment_per_slot"
            ),
        ]
