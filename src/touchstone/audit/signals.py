"""Sign-ins, sign-outs and failed sign-ins go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from touchstone.audit.log import record
from touchstone.audit.models import Action


def _clinic_of(user: Any) -> Any:
    member = getattr(user, "staff_member", None) if user is not None else None
    return member.clinic if member is not None else None


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(
        request,
        Action.LOGIN,
        object_type="auth.user",
        object_id=user.pk,
        actor=user,
        clinic=_clinic_of(user),
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(
            request,
            Action.LOGOUT,
            object_type="auth.user",
            object_id=user.pk,
            actor=user,
            clinic=_clinic_of(user),
        )


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    # The attempted username is not client data, but it may be a typo of a password:
    # keep only its length.
    username = str(credentials.get("username", ""))
    record(
        request,
        Action.LOGIN_FAILED,
        object_type="auth.user",
        detail=f"username length {len(username)}",
    )
