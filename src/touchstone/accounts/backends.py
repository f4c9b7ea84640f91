"""The sign-in backend: Django's ``ModelBackend``, reading the session's user together with
their clinic membership and its clinic."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User


class MembershipBackend(ModelBackend):
    """Every signed-in request reads its user (``AuthenticationMiddleware``) and then the
    user's membership and clinic (``accounts.middleware``): one query here instead of two.
    The membership is left in the user's ``staff_member`` cache (None when the login has
    none), where ``accounts.middleware.MembershipMiddleware`` takes it. Signing in, the
    password check and who may sign in are ``ModelBackend``'s, unchanged."""

    def get_user(self, user_id: Any) -> User | None:
        model = get_user_model()
        try:
            user = model._default_manager.select_related("staff_member__clinic").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
