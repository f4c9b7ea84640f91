from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from touchstone.accounts.roles import PERMISSIONS


def membership(request: HttpRequest) -> dict[str, Any]:
    """``member`` and ``can``: what the signed-in member's role may do, for templates
    (``{% if can.outcomes_view %}``); the views enforce the same table."""
    member = getattr(request, "member", None)
    if not member:
        return {"member": None, "can": {}}
    return {
        "member": member,
        "can": {name.replace(".", "_"): member.can(name) for name in PERMISSIONS},
    }
