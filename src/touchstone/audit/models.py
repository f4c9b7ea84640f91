"""The audit log: who did what to which record, when, and from where. Append-only."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from touchstone.audit import chain


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[AuditEvent]:  # type: ignore[override]
        raise AppendOnlyError("audit events are chained one by one (record())")

    def for_member(self, member: Any) -> AuditEventQuerySet:
        return self.filter(clinic_id=member.clinic_id)


class Action(models.TextChoices):
    CREATE = "create", "Created"
    READ = "read", "Viewed"
    LIST = "list", "Listed"
    UPDATE = "update", "Updated"
    ARCHIVE = "archive", "Archived"
    RESTORE = "restore", "Restored"
    DELETE = "delete", "Deleted"
    EXPORT = "export", "Exported"
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOGOUT = "logout", "Signed out"
    GRANT = "grant", "Granted"
    REVOKE = "revoke", "Revoked"
    DENIED = "denied", "Refused (403/404)"


class AuditEvent(models.Model):
    """One audited action. Holds identifiers only — never names or answers — so the log
    itself is not a second copy of client data."""

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Username at the time.")
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, help_text="app_label.model")
    object_id = models.CharField(max_length=64, blank=True)
    detail = models.CharField(
        max_length=300, blank=True, help_text="Field names, counts; no values."
    )
    channel = models.CharField(max_length=10, default="web")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    prev_hash = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of the clinic's previous event."
    )
    chain_hash = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of this event and prev_hash."
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["clinic", "object_type", "object_id"]),
            # The head of a clinic's chain: its newest event.
            models.Index(fields=["clinic", "id"], name="audit_chain_head"),
        ]

    def __str__(self) -> str:
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        # Link to the head of the clinic's chain under its lock, held until the enclosing
        # transaction commits (audit/chain.py).
        with transaction.atomic():
            chain.lock_chain(self.clinic_id)
            head = (
                AuditEvent.objects.filter(clinic_id=self.clinic_id)
                .order_by("-id")
                .values_list("chain_hash", flat=True)
                .first()
            )
            self.prev_hash = head or chain.GENESIS
            self.chain_hash = chain.event_hash(self.chained_fields(), self.prev_hash)
            super().save(*args, **kwargs)

    def chained_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in chain.CHAINED_FIELDS}

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")
