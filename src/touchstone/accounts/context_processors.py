from __future__ import annotations

from functools import cache
from types import MappingProxyType
from typing import Any

from django.http import HttpRequest

from touchstone.accounts.nav import menu_for
from touchstone.accounts.roles import PERMISSIONS, role_has


def membership(request: HttpRequest) -> dict[str, Any]:
    """``member``, ``can``: what the signed-in member's role may do, for templates
    (``{% if can.outcomes_view %}``; the views enforce the same table), and ``menu``: the
    main menu's links for that role (``accounts.nav``)."""
    member = getattr(request, "member", None)
    if not member:
        return {"member": None, "can": {}, "menu": ()}
    return {
        "member": member,
        "can": _can(member.role, member.is_active),
        "menu": menu_for(member.role, member.is_active),
    }


@cache
def _can(role: str, active: bool) -> MappingProxyType[str, bool]:
    """Every permission as a template name (``outcomes.view`` → ``outcomes_view``) with
    whether the role holds it: the same for every member with that role, so built once per
    role (read-only: pages share it)."""
    return MappingProxyType(
        {name.replace(".", "_"): active and role_has(role, name) for name in PERMISSIONS}
    )
