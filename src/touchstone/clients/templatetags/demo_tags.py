"""The demo's sign-in note: a demo says it is one and how to sign in; a real clinic's sign-in
page says nothing of the kind (issue 17 §4)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from touchstone.clients.demo import demo_exists, demo_logins

register = template.Library()


@register.inclusion_tag("clients/_demo_sign_in.html")
def demo_sign_in() -> dict[str, Any]:
    """Shown only when ``TOUCHSTONE_MODE=demo`` and the synthetic demo clinic is in the
    database (one query); never in development or production."""
    if settings.MODE != "demo" or not demo_exists():
        return {"logins": []}
    logins = demo_logins()
    return {"logins": logins, "password": logins[0]["password"] if logins else ""}
