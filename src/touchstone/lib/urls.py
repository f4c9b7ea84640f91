"""Where pages hang in the URL tree.

Every page about one client lives under ``/clients/<id>/…`` whichever app serves it; each
app's ``urls.py`` declares those pages with ``client_scoped([...])`` and the rest under its
own prefix, and the project's ``urls.py`` includes each app once at the root (so each app
keeps one URL namespace, e.g. ``care:intake`` → ``/clients/7/intake/``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.urls import include, path, reverse

#: A number no URL holds otherwise, reversed in its place by :func:`pk_urls`.
_MARKER = 987_654_321_012_345


def client_scoped(patterns: Sequence[Any]) -> list[Any]:
    """Mount ``patterns`` under ``clients/<int:client_id>/``; every view takes ``client_id``."""
    return [path("clients/<int:client_id>/", include(list(patterns)))]


def pk_urls(viewname: str) -> Callable[[int], str]:
    """``reverse(viewname, args=[pk])`` for many rows at the cost of one ``reverse``.

    For long lists that link every row to the same view (the progress page's administrations
    and visits): ``reverse`` resolves the pattern on each call, some 15 µs, more than the rest
    of a row. The view must take one integer argument (``<int:...>``), which ``reverse``
    writes as its decimal digits: the URL is the reversed marker's, the digits replaced.
    """
    head, tail = reverse(viewname, args=[_MARKER]).split(str(_MARKER))
    return lambda pk: f"{head}{int(pk)}{tail}"
