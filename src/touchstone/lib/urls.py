"""Where pages hang in the URL tree.

Every page about one client lives under ``/clients/<id>/…`` whichever app serves it; each
app's ``urls.py`` declares those pages with ``client_scoped([...])`` and the rest under its
own prefix, and the project's ``urls.py`` includes each app once at the root (so each app
keeps one URL namespace, e.g. ``care:intake`` → ``/clients/7/intake/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import include, path


def client_scoped(patterns: Sequence[Any]) -> list[Any]:
    """Mount ``patterns`` under ``clients/<int:client_id>/``; every view takes ``client_id``."""
    return [path("clients/<int:client_id>/", include(list(patterns)))]
