"""The contraindication banner shown on every staff page that has a ``client``."""

from __future__ import annotations

from typing import Any

from django import template

from touchstone.care.selectors import current_screen

register = template.Library()

_MISSING = object()


@register.inclusion_tag("care/_banner.html", takes_context=True)
def contraindication_banner(context: Any) -> dict[str, Any]:
    """Uses ``current_screen`` (or ``care.current_screen``) from the page when present, so a
    page that already fetched it issues no query; otherwise one query. Shows nothing outside
    staff pages (e.g. the client portal) or to roles without client access."""
    client = context.get("client")
    member = context.get("member")
    if client is None or not getattr(client, "pk", None) or not member:
        return {"show": False}
    if not member.can("clients.view"):
        return {"show": False}
    screen = context.get("current_screen", _MISSING)
    if screen is _MISSING:
        care = context.get("care")
        screen = care.current_screen if care is not None else current_screen(member, client)
    level = screen.result if screen is not None else "unscreened"
    label = screen.get_result_display() if screen is not None else "Not yet screened"
    return {
        "show": True,
        "client": client,
        "screen": screen,
        "level": level,
        "label": label,
        "can_view": member.can("care.view"),
        "can_edit": member.can("care.edit"),
    }
