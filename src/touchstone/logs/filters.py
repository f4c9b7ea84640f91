"""A logging filter that keeps the database's own words out of every log line.

When PostgreSQL refuses a statement, its error carries the offending values: ``DETAIL:
Failing row contains (…)`` quotes the whole row (a client's name, birth date, address, a
visit's SOAP note), ``Key (email)=(…) already exists`` the duplicate, and even the primary
message can quote an input (``invalid input syntax for type integer: "…"``). Django's request
logger, a traceback printer or an error-tracking handler would copy that text into the log.

:class:`DropDatabaseDetails` is attached to every handler in ``settings.LOGGING`` (a filter on
a handler sees the records of every logger that reaches it, structlog's included). On each
record it

* replaces each database exception in ``exc_info`` (psycopg, sqlite3, ``django.db``) — and
  in its ``__cause__``/``__context__`` chain — by a stand-in of the same class name whose
  message is only that name and the SQLSTATE code, keeping the frames;
* cuts ``DETAIL:``/``CONTEXT:``/``STATEMENT:`` lines and "Failing row contains" from the text
  of the message and its arguments;
* reduces ``django.db.backends`` query lines to their duration and alias: Django's debug SQL
  log interpolates the parameters (client data) into the statement.

This module imports no Django (``settings.py`` names it before Django is set up).
"""

from __future__ import annotations

import logging
import re

__all__ = ["DropDatabaseDetails", "is_database_error", "redacted"]

_DATABASE_MODULES = ("psycopg", "psycopg2", "sqlite3", "django.db")
#: The parts of a database error's text that quote data, to the end of their line.
_DETAIL = re.compile(
    r"(?:^|\n)\s*(?:DETAIL|CONTEXT|STATEMENT|HINT):[^\n]*|Failing row contains[^\n]*"
    r"|Key \([^\n]*\)=\([^\n]*"
)
_CHAIN_LIMIT = 10


def is_database_error(error: BaseException) -> bool:
    """Whether ``error`` comes from a database driver or Django's database layer."""
    return any(
        (cls.__module__ or "").startswith(_DATABASE_MODULES)
        for cls in type(error).__mro__
        if cls not in (BaseException, Exception)
    )


def scrub(text: str) -> str:
    """``text`` without the lines of a database error that quote data."""
    return _DETAIL.sub("", text)


def _stand_in(error: BaseException, message: str) -> BaseException:
    """An exception of the same class name as ``error`` saying ``message``, with its frames."""
    cls = type(type(error).__name__, (Exception,), {"__module__": type(error).__module__})
    return cls(message).with_traceback(error.__traceback__)


def redacted(error: BaseException | None, depth: int = 0) -> BaseException | None:
    """``error`` with every database exception of its chain reduced to its class and code."""
    if error is None or depth > _CHAIN_LIMIT:
        return None
    if is_database_error(error):
        code = getattr(getattr(error, "diag", None), "sqlstate", None) or getattr(
            error, "sqlstate", None
        )
        copy = _stand_in(error, f"{type(error).__name__}" + (f" (SQLSTATE {code})" if code else ""))
    else:
        copy = _stand_in(error, scrub(str(error)))
    copy.__cause__ = redacted(error.__cause__, depth + 1)
    copy.__context__ = redacted(error.__context__, depth + 1)
    copy.__suppress_context__ = error.__suppress_context__
    return copy


def _chain_has_database_error(error: BaseException | None, depth: int = 0) -> bool:
    if error is None or depth > _CHAIN_LIMIT:
        return False
    return (
        is_database_error(error)
        or _chain_has_database_error(error.__cause__, depth + 1)
        or _chain_has_database_error(error.__context__, depth + 1)
    )


class DropDatabaseDetails(logging.Filter):
    """Remove the data a database error quotes from a record (see the module docstring).
    Never drops a record: the line stays, without the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.db.backends") and isinstance(record.args, tuple):
            duration = record.args[0] if record.args else None
            alias = getattr(record, "alias", None)
            record.msg, record.args = (
                "query (%s s, alias %s); statement and parameters omitted",
                (
                    duration,
                    alias,
                ),
            )
            for name in ("sql", "params"):
                if hasattr(record, name):
                    setattr(record, name, None)
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                scrub(a)
                if isinstance(a, str)
                else (redacted(a) if isinstance(a, BaseException) and is_database_error(a) else a)
                for a in record.args
            )
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None and _chain_has_database_error(exc_info[1]):
            copy = redacted(exc_info[1])
            assert copy is not None
            record.exc_info = (type(copy), copy, exc_info[2])
            record.exc_text = None  # a formatter may have cached the original's text
        return True
