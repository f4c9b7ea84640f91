"""Request logs without secrets or search words.

Private links (``/p/<token>/``, ``/a/confirm|cancel/<token>/``, ``/physiology/diary/<token>/``),
calendar feeds (``/calendar/feeds/<secret>.ics``) and password-reset links carry their secret
in the path: whoever reads the log could open a client's questionnaires, cancel their
appointment, read a therapist's calendar or take over a login. Query strings carry what staff
searched for, often a client's name. So every line gunicorn writes goes through
:class:`AccessLogger`, and Django's own log records (e.g. ``Not Found: /p/…/``) through
:class:`MaskSecretsFilter`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

MASK = "…"
#: A path segment that is a secret, after the part of the path that announces it.
_SECRET_PATHS = re.compile(
    r"(?P<keep>/p/|/a/confirm/|/a/cancel/|/physiology/diary/|/calendar/feeds/"
    r"|/accounts/password/reset/[^/?#\s\"]+/)[^/?#\s\"]+"
)
_QUERY = re.compile(r"\?[^\s\"]*")
#: Atoms that hold a URL: their query strings go.
_URL_ATOMS = ("r", "U", "f", "{raw_uri}e", "{path_info}e", "{referer}i", "{http_referer}e")
#: Atoms that hold a secret whatever their shape: the query string, cookies (the session),
#: bearer tokens and CSRF tokens, as request headers ({…}i), response headers ({…}o) or
#: WSGI environ ({…}e).
_SECRET_ATOM = re.compile(r"^(q|\{[^}]*(query_string|cookie|authorization|csrf)[^}]*\}[ieo])$")


def mask_secrets(text: str) -> str:
    """``text`` with every private-link and password-reset token replaced by ``…``."""
    return _SECRET_PATHS.sub(lambda m: m.group("keep") + MASK, text)


def without_query(text: str) -> str:
    return _QUERY.sub("", text)


class AccessLogger(Logger):
    """Gunicorn's logger, with tokens masked and query strings, cookies and tokens dropped
    from every atom an access-log format could use."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if _SECRET_ATOM.match(key):
                atoms[key] = "-"
            elif isinstance(value, str):
                value = mask_secrets(value)
                atoms[key] = without_query(value) if key in _URL_ATOMS else value
        return atoms


class MaskSecretsFilter(logging.Filter):
    """Mask private-link and password-reset tokens in a log record's message and arguments
    (Django logs the path of every 4xx response, ``Not Found: /p/<token>/``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_secrets(a) if isinstance(a, str) else a for a in record.args)
        return True
