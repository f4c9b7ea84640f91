"""Sign-ins, sign-outs and failed sign-ins go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.lib.http import client_address


def _actor(request: Any, user: Any) -> Actor:
    """The user signing in or out (the request's own actor may predate the sign-in)."""
    return Actor.of_user(user, "web", client_address(request))


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(_actor(request, user), Action.LOGIN, object_type="auth.user", object_id=user.pk)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(_actor(request, user), Action.LOGOUT, object_type="auth.user", object_id=user.pk)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    # The attempted username is not client data, but it may be a typo of a password:
    # keep only its length.
    username = str(credentials.get("username", ""))
    record(
        _actor(request, None),
        Action.LOGIN_FAILED,
        object_type="auth.user",
        detail=f"username length {len(username)}",
    )
