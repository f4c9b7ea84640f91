"""The test databases on PostgreSQL with two roles, as in production (docs/deploy.md):
created, migrated and flushed as the owner (DATABASE_OWNER_URL), used by the tests as the
app's role (DATABASE_URL), which may only INSERT and SELECT audit events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connections

from touchstone.lib.db_roles import owner_settings


def two_roles() -> bool:
    return bool(settings.DATABASE_OWNER_URL) and connections["default"].vendor == "postgresql"


def _switch(user: Any, password: Any) -> None:
    connection = connections["default"]
    connection.close()
    connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = user, password


@contextmanager
def as_app_role() -> Iterator[None]:
    """The default connection as the app's role until the end of the block, then the
    owner's again (for dropping the test database)."""
    connection = connections["default"]
    owner = connection.settings_dict["USER"], connection.settings_dict["PASSWORD"]
    import dj_database_url

    app = dj_database_url.parse(settings.DATABASES_APP_URL)
    _switch(app.get("USER"), app.get("PASSWORD"))
    original_flush = connection.ops.execute_sql_flush
    connection.ops.execute_sql_flush = _flush_as_owner  # type: ignore[method-assign]
    try:
        yield
    finally:
        connection.ops.execute_sql_flush = original_flush  # type: ignore[method-assign]
        _switch(*owner)


def switch_to_owner() -> None:
    owner = owner_settings(connections["default"].settings_dict)
    _switch(owner["USER"], owner["PASSWORD"])


def _flush_as_owner(sql_list: list[str]) -> None:
    """Empty the tables between transactional tests: TRUNCATE is the owner's, and the audit
    log's trigger refuses it unless triggers are set aside (replica mode; the test server's
    owner is a superuser)."""
    import psycopg

    params = owner_settings(connections["default"].settings_dict)
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
    ) as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in sql_list:
            conn.execute(statement)  # type: ignore[arg-type]
