"""Operational logs: one JSON object per line (stdout for the web server, stderr for the
``touchstone`` command), with ids and durations, never client data (docs/operations.md lists
every event).

Every line carries ``timestamp`` (UTC, ISO 8601), ``level``, ``logger`` and ``event`` (a fixed
snake_case name), and whatever is bound for the request or job it belongs to: ``request_id``
(django-structlog's middleware, one per request), ``clinic_id`` (bound by :func:`bind_clinic`
where the tenant becomes known), ``actor_id`` (the acting user's id) and ``job_id`` (one per
command run by :func:`job`, and the key a job runner will bind). Events add counts, codes and
``duration_ms``. The rule for anything else: identifiers and numbers only, never a name, a date
of birth, an answer, a note or the content of an uploaded file; a refused upload logs a fixed
reason code and at most a line number (:func:`upload_refused`). Exceptions are logged as their
type and frames only: an exception's message can quote the data that caused it.

This module imports no Django, so ``settings.py`` can configure logging from it.
"""

from __future__ import annotations

import re
import sys
import time
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.tracebacks import ExceptionDictTransformer

__all__ = [
    "Formatter",
    "bind_clinic",
    "configure_structlog",
    "duration_ms",
    "export_finished",
    "get_logger",
    "import_failed",
    "import_finished",
    "job",
    "upload_refused",
]

EventDict = MutableMapping[str, Any]

# A signed portal token, a password-reset token or any other long opaque string in a URL.
_OPAQUE = re.compile(r"[A-Za-z0-9_\-]{20,}(?::[A-Za-z0-9_\-]+)*")
# A query string (search words, filters) after a path.
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
_LINE = re.compile(r"^line (\d+)\b")
_TRACEBACK = ExceptionDictTransformer(show_locals=False, use_rich=False, max_frames=20)


def get_logger(name: str) -> Any:
    """A structlog logger writing through the standard library's ``logging`` (so LOGGING's
    levels and handler apply). Use the module's ``__name__``."""
    return structlog.get_logger(name)


def _actor_id(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """django-structlog binds the request user's id as ``user_id``: we call it ``actor_id``
    (unless the event names its actor itself, as ``sign_in`` does before the request knows)."""
    if "user_id" in event_dict:
        event_dict.setdefault("actor_id", event_dict.pop("user_id"))
    return event_dict


def _mask_urls(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Drop query strings and opaque tokens from the text of records that come from other
    libraries (Django's "Not Found: /p/<token>/", the development server's request lines)."""
    if not event_dict.get("_from_structlog", True):
        text = str(event_dict.get("event", ""))
        text = _QUERY.sub(r"\1?…", text)
        event_dict["event"] = _OPAQUE.sub("…", text)
    return event_dict


_FIRST = ("timestamp", "level", "logger", "event")


def _ordered(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Time, level, logger and event first: a line reads left to right."""
    first = {key: event_dict.pop(key) for key in _FIRST if key in event_dict}
    return {**first, **event_dict}


def _exception_frames(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Replace ``exc_info`` by the exception's type and frames (file, line, function) of each
    exception in the chain: no message, no local variables."""
    exc_info = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if exc_info[0] is None:
        return event_dict
    event_dict["exception"] = [
        {
            "type": stack["exc_type"],
            "frames": [
                {"file": f["filename"], "line": f["lineno"], "function": f["name"]}
                for f in stack["frames"]
            ],
        }
        for stack in _TRACEBACK(exc_info)
    ]
    return event_dict


def _exception_text(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """The console renderer prints ``exception`` as text: the types and frames, one a line."""
    stacks = event_dict.get("exception")
    if isinstance(stacks, list):
        event_dict["exception"] = "\n".join(
            f"{stack['type']}: "
            + " <- ".join(f"{f['file']}:{f['line']} {f['function']}" for f in stack["frames"])
            for stack in stacks
        )
    return event_dict


# Run on every record: structlog's own before they reach logging, the standard library's
# (Django, gunicorn, axes, WeasyPrint) in the formatter.
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
]


class Formatter(structlog.stdlib.ProcessorFormatter):
    """The ``logging`` formatter of every handler: JSON lines (``renderer="json"``, the
    default) or coloured columns for a developer's terminal (``"console"``)."""

    def __init__(self, renderer: str = "json") -> None:
        final: Any = (
            structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
            if renderer == "console"
            else structlog.processors.JSONRenderer(sort_keys=False)
        )
        super().__init__(
            foreign_pre_chain=_SHARED,
            processors=[
                _mask_urls,
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _actor_id,
                _exception_frames,
                *([_exception_text] if renderer == "console" else []),
                _ordered,
                final,
            ],
        )


def configure_structlog() -> None:
    """Route structlog through ``logging`` (called once, from settings.py)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            _exception_frames,  # now, while the exception is being handled
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def bind_clinic(clinic_id: int | None) -> None:
    """Put the tenant's id on every later line of this request (or job)."""
    if clinic_id is not None:
        structlog.contextvars.bind_contextvars(clinic_id=clinic_id)


def duration_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.perf_counter()`` value), to 0.1 ms."""
    return round((time.perf_counter() - started) * 1000, 1)


@contextmanager
def job(
    name: str,
    *,
    refusals: tuple[type[BaseException], ...] = (),
    job_id: str | None = None,
    **fields: int | str,
) -> Iterator[Any]:
    """Run a job (a command, or a task of the job runner) under its own ``job_id`` (a new one,
    or the task result's id the runner passes): ``job_started``, then ``job_finished``,
    ``job_refused`` (one of ``refusals``: bad input, already told to whoever asked) or
    ``job_failed`` (anything else), with ``duration_ms`` and the exception's type only.
    ``fields`` are ids and options, never client data."""
    log = get_logger("touchstone.jobs")
    started = time.perf_counter()
    with structlog.contextvars.bound_contextvars(job_id=job_id or uuid.uuid4().hex, job=name):
        log.info("job_started", **fields)
        try:
            yield log
        except refusals as error:
            log.info("job_refused", error=type(error).__name__, duration_ms=duration_ms(started))
            raise
        except BaseException as error:
            log.error("job_failed", error=type(error).__name__, duration_ms=duration_ms(started))
            raise
        log.info("job_finished", duration_ms=duration_ms(started))


def line_of(message: str) -> int | None:
    """The line number a reading error names (``"line 3: ..."``), else None."""
    match = _LINE.match(message)
    return int(match.group(1)) if match else None


def upload_refused(
    kind: str,
    reason: str,
    *,
    size_bytes: int | None = None,
    line: int | None = None,
    **counts: int,
) -> None:
    """Log a refused upload: what kind, a fixed reason code, its size, the line at fault and
    counts. Never the file's content nor the message shown to the user (it may quote it)."""
    fields: dict[str, Any] = {"kind": kind, "reason": reason, **counts}
    if size_bytes is not None:
        fields["size_bytes"] = size_bytes
    if line is not None:
        fields["line"] = line
    get_logger("touchstone.uploads").warning("upload_refused", **fields)


def export_finished(kind: str, started: float, **counts: int) -> None:
    """An export ran: its kind, what it holds (counts) and how long it took."""
    get_logger("touchstone.exports").info(
        "export_finished", kind=kind, **counts, duration_ms=duration_ms(started)
    )


def import_finished(kind: str, started: float, **counts: int) -> None:
    """An import stored everything it was given."""
    get_logger("touchstone.imports").info(
        "import_finished", kind=kind, **counts, duration_ms=duration_ms(started)
    )


def import_failed(kind: str, reason: str, **counts: int) -> None:
    """An import stored nothing (imports are all or nothing): a fixed reason code, never the
    message shown to the user, which may quote the file."""
    get_logger("touchstone.imports").warning("import_failed", kind=kind, reason=reason, **counts)
