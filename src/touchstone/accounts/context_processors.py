from __future__ import annotations

from functools import cache
from types import MappingProxyType
from typing import Any

from django.http import HttpRequest

from touchstone.accounts.access import second_factor_due
from touchstone.accounts.nav import menu_for
from touchstone.accounts.roles import PERMISSIONS, role_has


def membership(request: HttpRequest) -> dict[str, Any]:
    """``member``, ``can``: what the signed-in member's role may do, for templates
    (``{% if can.outcomes_view %}``; the views enforce the same table), and ``menu``: the
    main menu's links for that role (``accounts.nav``); none of either while the login must
    first pass or set up its second factor (``second_factor_due``)."""
    member = getattr(request, "member", None)
    if not member:
        return {"member": None, "can": {}, "menu": (), "second_factor_due": False}
    if second_factor_due(request.user, member):
        # Every link would lead back to the two-factor page: no menu until it is done.
        return {"member": member, "can": _can(member.role, False), "menu": (),
                "second_factor_due": True}  # fmt: skip
    return {
        "member": member,
        "can": _can(member.role, member.is_active),
        "menu": menu_for(member.role, member.is_active),
        "second_factor_due": False,
    }


@cache
def _can(role: str, active: bool) -> MappingProxyType[str, bool]:
    """Every permission as a template name (``outcomes.view`` → ``outcomes_view``) with
    whether the role holds it: the same for every member with that role, so built once per
    role (read-only: pages share it)."""
    return MappingProxyType(
        {name.replace(".", "_"): active and role_has(role, name) for name in PERMISSIONS}
    )
