"""Where pages hang in the URL tree.

Every page about one client lives under ``/clients/<id>/…`` whichever app serves it; each
app's ``urls.py`` declares those pages with ``client_scoped([...])`` and the rest under its
own prefix, and the project's ``urls.py`` includes each app once at the root (so each app
keeps one URL namespace, e.g. ``care:intake`` → ``/clients/7/intake/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, include, path, reverse


def client_scoped(patterns: Sequence[Any]) -> list[Any]:
    """Mount ``patterns`` under ``clients/<int:client_id>/``; every view takes ``client_id``."""
    return [path("clients/<int:client_id>/", include(list(patterns)))]


#: Reversed URLs of this process, by (URLconf, script prefix, name, arguments): the URL tree is fixed
#: while the process runs, so each page's URL is worked out once (``reverse`` takes
#: 20-50 µs, and every page's header and record tabs need about thirty).
_REVERSED: dict[tuple[str, str, str, tuple[int, ...]], str] = {}
#: Stands for the client's id in a client page's reversed URL (:func:`client_url`).
_CLIENT_ID = 4_611_686_018_427_387_903


def _once(name: str, args: tuple[int, ...] = ()) -> str:
    key = (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix(), name, args)
    url = _REVERSED.get(key)
    if url is None:
        url = _REVERSED[key] = reverse(name, args=args)
    return url


def fixed_url(name: str) -> str:
    """``reverse(name)`` of a page without arguments (the menu's), reversed once per
    process. Keyed on the URLconf and script prefix, so a test or a deployment under a
    sub-path that changes them gets its own."""
    return _once(name)


def client_url(name: str, client_id: int) -> str:
    """``reverse(name, args=[client_id])`` of a ``client_scoped`` page: the page's URL is
    reversed once per process with a stand-in id, which is then replaced by the client's."""
    return _once(name, (_CLIENT_ID,)).replace(str(_CLIENT_ID), str(int(client_id)))
