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
    # On the class, not the connection: while Playwright's event loop runs in the test's
    # thread, Django hands out a second connection object for the same database (asgiref keeps
    # connections per async context), and the flush after a browser test goes through that one.
    operations = type(connection.ops)
    original_flush = operations.execute_sql_flush
    operations.execute_sql_flush = _flush_as_owner  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        operations.execute_sql_flush = original_flush  # type: ignore[method-assign]
        _switch(*owner)


def switch_to_owner() -> None:
    owner = owner_settings(connections["default"].settings_dict)
    _switch(owner["USER"], owner["PASSWORD"])


def owner_connection(*, autocommit: bool = False) -> Any:
    """A psycopg connection to the test database as the tables' owner (DATABASE_OWNER_URL;
    the same role as the app's when it is unset): what the app's role may not do, tests do
    through it (flush, ANALYZE, tampering with the audit log, reading server settings)."""
    import psycopg

    params = owner_settings(connections["default"].settings_dict)
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        autocommit=autocommit,
    )


def _flush_as_owner(_operations: Any, sql_list: list[str]) -> None:
    """Empty the tables between transactional tests: TRUNCATE is the owner's, and the audit
    log's trigger refuses it unless triggers are set aside (replica mode; the test server's
    owner is a superuser)."""
    with owner_connection() as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in sql_list:
            conn.execute(statement)
