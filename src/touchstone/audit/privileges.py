"""PostgreSQL privileges of the app's role (DATABASE_URL) when the tables belong to another
role (DATABASE_OWNER_URL): read and write every table, but only INSERT and SELECT audit
events and the other append-only tables apps register in :data:`APPEND_ONLY_TABLES` (the
billing ledger). Not the owner, the app's role cannot disable the audit triggers or drop the table;
without UPDATE, DELETE and TRUNCATE it cannot change the log even with a SQL prompt.

Granted after every ``migrate`` (post_migrate), so tables added later are covered too."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections

AUDIT_TABLE = "audit_auditevent"
#: Tables the app's role may only INSERT into and SELECT from, besides the audit log; apps
#: add theirs in ``AppConfig.ready`` (a lower layer cannot name an upper layer's tables).
APPEND_ONLY_TABLES: set[str] = set()


def grant_app_privileges(using: str = "default") -> bool:
    """Grant the app's role its privileges; False when there is nothing to do (SQLite, one
    role, or the app's own role running migrate)."""
    connection = connections[using]
    app_user = settings.DATABASE_APP_USER
    if connection.vendor != "postgresql" or not app_user:
        return False
    from psycopg import sql

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        current_user, schema = cursor.fetchone()
        if current_user == app_user:
            return False
        role, ns = sql.Identifier(app_user), sql.Identifier(schema)
        statements = [
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ns, role),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
                ns, role
            ),
            sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                ns, role
            ),
        ]
        for table in sorted({AUDIT_TABLE, *APPEND_ONLY_TABLES}):
            statements += [
                sql.SQL("REVOKE ALL ON TABLE {} FROM PUBLIC").format(sql.Identifier(table)),
                sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(sql.Identifier(table), role),
                sql.SQL("GRANT SELECT, INSERT ON TABLE {} TO {}").format(
                    sql.Identifier(table), role
                ),
            ]
        for statement in statements:
            cursor.execute(statement.as_string(cursor.connection))
    return True


def grant_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if sender.label == "audit":
        grant_app_privileges(using)
