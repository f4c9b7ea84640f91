from __future__ import annotations

from typing import Any

from touchstone.lib.db_roles import owner_settings

APP = {"NAME": "test_touchstone", "USER": "touchstone_app", "PASSWORD": "a", "HOST": "db"}


def test_it_keeps_the_database_and_takes_the_owners_credentials(settings: Any):
    settings.DATABASE_OWNER_URL = "postgres://owner:secret@elsewhere:5432/touchstone"
    owner = owner_settings(APP)
    assert (owner["NAME"], owner["HOST"]) == ("test_touchstone", "db")
    assert (owner["USER"], owner["PASSWORD"]) == ("owner", "secret")
    assert APP["USER"] == "touchstone_app"  # not changed in place


def test_one_role_leaves_the_settings_as_they_are(settings: Any):
    settings.DATABASE_OWNER_URL = None
    assert owner_settings(APP) == APP
