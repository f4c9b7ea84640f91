"""The owner role's connection settings (DATABASE_OWNER_URL, docs/deploy.md): the same
database as the app's connection, as the role that owns the tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dj_database_url
from django.conf import settings


def owner_settings(settings_dict: Mapping[str, Any]) -> dict[str, Any]:
    """``settings_dict`` (a connection's, whose NAME may be a test database) with the owner's
    user and password; unchanged when there is no separate owner."""
    result = dict(settings_dict)
    if settings.DATABASE_OWNER_URL:
        owner = dj_database_url.parse(settings.DATABASE_OWNER_URL)
        result["USER"], result["PASSWORD"] = owner.get("USER"), owner.get("PASSWORD")
    return result
