"""``{% fixed_url "accounts:profile" %}``: the ``{% url %}`` of a page without arguments,
reversed once per process (``lib.urls.fixed_url``), for the header every page carries."""

from __future__ import annotations

from django import template

from touchstone.lib.urls import fixed_url as _fixed_url

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    return _fixed_url(name)
