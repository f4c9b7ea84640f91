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


#: Reversed URLs of this process, by (URLconf, script prefix, name, arguments): the URL
#: tree is fixed while the process runs, so each page's URL is worked out once (``reverse``
#: takes 20-50 µs, and a page's header, record tabs and links need about thirty).
_REVERSED: dict[tuple[str, str, str, tuple[int, ...]], str] = {}
#: Stands for the object's id in a reversed URL (:func:`fixed_url`).
_STAND_IN = 4_611_686_018_427_387_903


def _once(name: str, args: tuple[int, ...]) -> str:
    key = (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix(), name, args)
    url = _REVERSED.get(key)
    if url is None:
        url = _REVERSED[key] = reverse(name, args=args)
    return url


def fixed_url(name: str, object_id: int | None = None) -> str:
    """``reverse(name)``, or ``reverse(name, args=[object_id])`` for a page that takes one
    integer id (``/clients/<id>/chart/``), reversed once per process: a page with an id is
    reversed with a stand-in id, which is then replaced by ``object_id``. Keyed on the
    URLconf and script prefix, so a test or a deployment under a sub-path that changes them
    gets its own."""
    if object_id is None:
        return _once(name, ())
    return _once(name, (_STAND_IN,)).replace(str(_STAND_IN), str(int(object_id)))
