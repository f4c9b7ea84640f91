"""The one row the health check writes, so that "healthy" means "accepts writes"."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone


class Heartbeat(models.Model):
    """A single row (pk 1) whose time ``/healthz`` sets in a committed transaction.

    A database that still answers ``SELECT 1`` can refuse every write: a read-only replica
    after a fail-over, a full disk, a SQLite file the server may not write, a lock held too
    long. A load balancer should take such an instance out of service, so the health check
    writes. The table holds no clinical data and never more than one row.
    """

    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"heartbeat {self.at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def beat(cls) -> None:
        """Write and commit the heartbeat; raises ``DatabaseError`` when the database refuses."""
        with transaction.atomic():
            cls.objects.update_or_create(pk=1, defaults={"at": timezone.now()})
