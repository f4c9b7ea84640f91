"""``touchstone cleanup``: delete what has expired. A plain function, ``run_cleanup()``, that
the command and the job runner call; idempotent (a second run deletes nothing); logs counts
only (``cleanup_finished``).

Apps above this layer add their own steps with ``register()`` from their ``AppConfig.ready()``
(physiology: wearable uploads never confirmed), so operations imports no app above it.

Kept on purpose, because the audit log or a record points at them: expired and revoked
private links (the provenance of what a client entered through them), expired and revoked API
tokens, audit events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from touchstone.logs import get_logger

#: A step deletes what expired before ``now`` and returns how many rows it deleted.
Step = Callable[[dt.datetime], int]

_steps: dict[str, Step] = {}
log = get_logger(__name__)


def register(name: str, step: Step) -> None:
    """Add (or replace) the cleanup step ``name``."""
    _steps[name] = step


def expired_sessions(now: dt.datetime) -> int:
    """Sign-ins past their expiry (Django's ``clearsessions`` for the database backend)."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    return Session.objects.filter(expire_date__lt=now).delete()[0]


def stale_sign_in_failures(now: dt.datetime) -> int:
    """django-axes' failed sign-ins older than the lock-out they counted toward."""
    from axes.models import AccessAttempt

    cooloff = dt.timedelta(hours=float(settings.AXES_COOLOFF_TIME))
    return AccessAttempt.objects.filter(attempt_time__lt=now - cooloff).delete()[0]


register("sessions", expired_sessions)
register("sign_in_failures", stale_sign_in_failures)


def run_cleanup(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every step, each in its own transaction; return the count each deleted."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for name, step in sorted(_steps.items()):
        with transaction.atomic():
            counts[name] = step(now)
    log.info("cleanup_finished", **counts)
    return counts
