"""Sign-in events for the operational log (the audit log keeps its own record of them)."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from touchstone.logs import get_logger

log = get_logger("touchstone.accounts")


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    log.info("sign_in", actor_id=user.pk)


@receiver(user_login_failed)
def _sign_in_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # No username: it may be a mistyped password, and it is a name.
    log.warning("sign_in_failed")


@receiver(user_locked_out)
def _locked_out(sender: Any, **kwargs: Any) -> None:
    log.warning("sign_in_locked_out")
