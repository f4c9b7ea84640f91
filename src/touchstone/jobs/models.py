"""The periodic schedule's memory: when each periodic job was last enqueued, per clinic."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class PeriodicRun(models.Model):
    """One periodic job for one clinic (or for the installation: no clinic) and the instant
    it was last enqueued. The worker enqueues a job again once its interval has passed; the
    conditional update on ``last_enqueued_at`` makes one worker win when several run. Holds no
    client data."""

    name = models.CharField(max_length=60)
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    last_enqueued_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["name", "clinic"], name="one_periodic_run_per_clinic"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(clinic__isnull=True),
                name="one_periodic_run_per_installation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (clinic {self.clinic_id}) at {self.last_enqueued_at:%Y-%m-%d %H:%M}"
