"""``{% fixed_url "accounts:profile" %}``, ``{% fixed_url "clients:edit" client.pk %}``: the
``{% url %}`` of a page without arguments or with one integer id, reversed once per process
(``lib.urls.fixed_url``), for the links every page carries."""

from __future__ import annotations

from django import template

from touchstone.lib.urls import fixed_url as _fixed_url

register = template.Library()


@register.simple_tag
def fixed_url(name: str, object_id: int | None = None) -> str:
    return _fixed_url(name, object_id)
