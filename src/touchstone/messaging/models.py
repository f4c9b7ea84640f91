"""Every message Touchstone sends (or would send), and the SMS outbox."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone

from touchstone.accounts.access import ClinicOwned, ClinicOwnedQuerySet
from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message"


class Kind(models.TextChoices):
    """What a message is for; its text is fixed per kind and carries no clinical content."""

    REMINDER = "reminder", "Appointment reminder"
    QUESTIONNAIRES = "questionnaires", "Questionnaires to fill"
    QUESTIONNAIRES_REMINDER = "questionnaires_reminder", "Questionnaires: reminder"
    SLEEP_DIARY = "sleep_diary", "Sleep diary"
    SLEEP_DIARY_REMINDER = "sleep_diary_reminder", "Sleep diary: reminder"
    BOOKING = "booking", "Link to book a visit"
    ALERT = "alert", "Risk alert (to staff)"
    ESCALATION = "escalation", "Risk alert escalated (to staff)"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent"


class MessageQuerySet(ClinicOwnedQuerySet["Message"]):
    def due(self) -> MessageQuerySet:
        """Queued messages whose time has come."""
        return self.filter(status=Status.QUEUED, send_after__lte=timezone.now())


class Message(ClinicOwned):
    """One message to one recipient by one channel: to a client (``client``) or a staff
    member (``staff``). ``key`` is unique per clinic and names what the message is about
    (``reminder:<appointment>:<lead>``, ``alert:<id>:<member>:<channel>``, ...), so a job that
    runs twice queues nothing twice. The text is fixed per kind: a greeting, a fact (an
    appointment, questionnaires to fill, an alert to see) and a link, never a score, an answer
    or a diagnosis."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    staff = models.ForeignKey(
        StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=254, help_text="E-mail address or E.164 phone number.")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    skip_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    send_after = models.DateTimeField(
        default=timezone.now, help_text="Not before (quiet hours, retry back-off)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=120, blank=True, help_text="The error's type only.")
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=120, blank=True)

    objects = MessageQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "key"], name="one_message_per_key"),
            models.CheckConstraint(
                condition=models.Q(client__isnull=True) | models.Q(staff__isnull=True),
                name="message_to_client_or_staff",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "send_after"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()} #{self.pk}"

    @property
    def skip_reason_text(self) -> str:
        return SKIP_REASONS.get(self.skip_reason, self.skip_reason)


#: Why a message was recorded but not sent.
SKIP_REASONS = {
    "opted_out": "the client asked for no messages",
    "archived": "the client is archived",
    "no_email": "no e-mail address",
    "no_phone": "no phone number a text can reach",
    "expired": "no longer needed",
    "link_gone": "its private link no longer works (used, revoked or expired)",
}


class OutboxText(models.Model):
    """What the default SMS backend ("outbox") would have sent: kept instead of sending, so a
    clinic without an SMS provider (and the tests) can see every text."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="outbox")
    to = models.CharField(max_length=20)
    body = models.TextField()
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"text #{self.pk} for message {self.message_id}"


class OnCall(ClinicOwned):
    """One place on the clinic's on-call list for risk alerts: the first is notified when an
    alert is raised, the next (and the owner) each time nobody acknowledged it within the
    clinic's escalation time. Only licensed clinicians (``alerts.handle``) may be on it."""

    member = models.OneToOneField(StaffMember, on_delete=models.CASCADE, related_name="on_call")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering: ClassVar = ["position", "id"]

    def __str__(self) -> str:
        return f"on call #{self.position}: staff {self.member_id}"
