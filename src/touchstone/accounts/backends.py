"""The sign-in backend: Django's ``ModelBackend``, reading the session's user together with
their clinic membership, its clinic and whether they have a two-factor device."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef
from django_otp import device_classes

#: The attribute ``get_user`` sets on the user: whether they have a confirmed two-factor
#: device (``django_otp.user_has_device``), read in the same query.
HAS_DEVICE = "touchstone_has_device"


@cache
def _device_models() -> tuple[Any, ...]:
    """Every installed two-factor device model (django-otp scans the app registry for them
    on each call; the installed apps do not change while the process runs)."""
    return tuple(device_classes())


def _has_device_columns() -> dict[str, Exists]:
    return {
        f"_has_{model._meta.label_lower.replace('.', '_')}": Exists(
            model.objects.filter(user=OuterRef("pk"), confirmed=True)
        )
        for model in _device_models()
    }


def has_device(user: Any) -> bool | None:
    """Whether the session's user has a confirmed two-factor device, as read with the user
    this request; None for a user read some other way (ask django-otp)."""
    return getattr(user, HAS_DEVICE, None)


class MembershipBackend(ModelBackend):
    """Every signed-in request reads its user (``AuthenticationMiddleware``), then the
    user's membership and clinic (``accounts.middleware``), then, until the login is
    verified, whether the user has a two-factor device (``accounts.access``): one query here
    instead of three. The membership is left in the user's ``staff_member`` cache (None when
    the login has none), where ``accounts.middleware.MembershipMiddleware`` takes it; the
    device answer in ``HAS_DEVICE``. Signing in, the password check and who may sign in are
    ``ModelBackend``'s, unchanged."""

    def get_user(self, user_id: Any) -> User | None:
        model = get_user_model()
        columns = _has_device_columns()
        try:
            user = (
                model._default_manager.select_related("staff_member__clinic")
                .annotate(**columns)
                .get(pk=user_id)
            )
        except model.DoesNotExist:
            return None
        setattr(user, HAS_DEVICE, any(getattr(user, name) for name in columns))
        return user if self.user_can_authenticate(user) else None
