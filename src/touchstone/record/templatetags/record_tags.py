"""The client record's header (name, archived banner, tab bar) for every tab's page,
whichever app serves it: ``{% load record_tags %}{% record_header "body" %}``."""

from __future__ import annotations

from typing import Any

from django import template

from touchstone.record.tabs import tabs_for

register = template.Library()


@register.inclusion_tag("record/_header.html", takes_context=True)
def record_header(context: Any, current: str) -> dict[str, Any]:
    """The page's ``client`` and signed-in ``member`` come from the context; no query."""
    client, member = context["client"], context["member"]
    return {"client": client, "tabs": tabs_for(member, client.pk, current)}
