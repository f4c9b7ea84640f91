"""The whole test session's check that no log line carries client data.

:class:`LogGuard` is a ``logging`` handler on the root logger for the whole session (see
``touchstone/conftest.py``). It keeps every line emitted, formatted as production formats it,
and remembers every piece of client data that any model instance of the session held: each
time a ``Client``, an intake, a visit note, a questionnaire's answers... is built (created,
bulk-created, or loaded from the database), Django's ``post_init`` hands it over. At the end it
reports each line that contains one of those values.

Matching is on whole words, case-sensitive: both the line and the value are split into runs
of letters and digits, and a value matches where its runs appear in a row in a line (so
"Dana" matches "Dana Example" but not "Danaher"; "617-555-0199" matches "617 555 0199").
Values that cannot be told from an id or a duration are not searched for: one or two runs of
digits (postal codes, house numbers) unless a single run of seven or more (a phone number
without separators), and words under three letters.
Nor are values made only of the words of the app's own URL routes: request lines name the
route (``GET /api/v1/administrations/<administration_id>``), so a visit note that reads
"administration" (the API fuzz test writes such words) cannot be told from a route.
Every worker of pytest-xdist keeps its own guard: a line is compared with the data of the
process that wrote it, which is the process that held the data, so the result does not depend
on how tests are spread over workers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models.signals import post_init
from django.utils.module_loading import import_string

from touchstone.logs import Formatter

#: model -> fields holding client data (identifiers and free text). Numbers and codes (scores,
#: RR intervals, ICD-10 codes) are not searchable as text; their absence from logs follows from
#: the rule that events carry ids and counts only.
CLIENT_DATA: dict[str, tuple[str, ...]] = {
    "clients.Client": (
        "given_name",
        "family_name",
        "preferred_name",
        "date_of_birth",
        "email",
        "phone",
        "address",
        "city",
        "emergency_contact_name",
        "emergency_contact_phone",
    ),
    "care.Intake": (
        "presenting_concerns",
        "prescriber_name",
        "prescriber_contact",
        "therapist_name",
        "therapist_contact",
        "referrer_name",
        "referrer_contact",
    ),
    "care.Medication": ("name", "dose", "notes"),
    "care.ContraindicationScreen": ("other_text", "notes"),
    "care.Episode": ("goals",),
    "care.Visit": ("subjective", "objective", "assessment", "plan"),
    "care.AdverseEvent": ("description", "follow_up"),
    "measures.Administration": ("answers",),
    "measures.RiskAlert": ("action_taken",),
}

_RUN = re.compile(r"[^\W_]+")


def runs(text: str) -> tuple[str, ...]:
    """The runs of letters and digits of ``text``."""
    return tuple(_RUN.findall(text))


def _texts(value: Any) -> Iterator[str]:
    """The searchable forms of one field value."""
    if isinstance(value, dt.date):
        yield value.isoformat()
        yield value.strftime("%m/%d/%Y")
    elif isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def searchable(text: str) -> tuple[str, ...] | None:
    """The runs to look for, or None when the value cannot be told from an id or a number."""
    found = runs(text)
    if not found:
        return None
    if all(r.isdigit() for r in found) and len(found) < 3:
        return found if len(found) == 1 and len(found[0]) >= 7 else None
    if len(found) == 1 and len(found[0]) < 3:
        return None
    return found


def _flatten(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _flatten(item)
    elif isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    else:
        yield str(value)


class LogGuard(logging.Handler):
    """Collects log lines and client data; :meth:`leaks` pairs them up."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(Formatter("json"))
        # The filters of production's handler (settings.LOGGING), so lines are checked as
        # they would be written.
        for name in settings.LOGGING["handlers"]["stdout"].get("filters", []):
            self.addFilter(import_string(settings.LOGGING["filters"][name]["()"])())
        self.lines: list[str] = []
        self.values: set[tuple[str, ...]] = set()
        self._fields = {apps.get_model(label): fields for label, fields in CLIENT_DATA.items()}

    # --- collecting ---------------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        # Search the decoded text: JSON escapes non-ASCII letters (José -> Jos\u00e9).
        with contextlib.suppress(ValueError):
            line = " ".join(_flatten(json.loads(line)))
        self.lines.append(line)

    def remember(self, sender: Any, instance: Any, **kwargs: Any) -> None:
        for field in self._fields.get(sender, ()):
            # __dict__, not getattr: a deferred field would cost a query (and may be gone).
            for text in _texts(instance.__dict__.get(field)):
                self.remember_text(text)

    def remember_text(self, text: str) -> None:
        found = searchable(text)
        if found is not None:
            self.values.add(found)

    def connect(self) -> None:
        logging.getLogger().addHandler(self)
        for model in self._fields:
            post_init.connect(self.remember, sender=model, weak=False)

    def disconnect(self) -> None:
        logging.getLogger().removeHandler(self)
        for model in self._fields:
            post_init.disconnect(self.remember, sender=model)

    @property
    def attached(self) -> bool:
        return self in logging.getLogger().handlers

    # --- checking -----------------------------------------------------------------------

    def leaks(self) -> list[tuple[str, str]]:
        """(value, line) for every line that contains a remembered value."""
        routes = route_words()
        index: dict[str, set[int]] = defaultdict(set)
        tokenised = [runs(line) for line in self.lines]
        for number, tokens in enumerate(tokenised):
            for token in tokens:
                index[token].add(number)
        found = []
        for value in self.values:
            if routes.issuperset(value):
                continue
            candidates: Iterable[int] = set.intersection(*(index.get(t, set()) for t in value))
            for number in sorted(candidates):
                if _contains(tokenised[number], value):
                    found.append((" ".join(value), self.lines[number]))
        return found


def route_words() -> set[str]:
    """Every run of letters and digits in the app's URL patterns (prefixes and route names)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    words: set[str] = set()
    pending: list[URLPattern | URLResolver] = [get_resolver()]
    while pending:
        item = pending.pop()
        words.update(runs(str(item.pattern)))
        if isinstance(item, URLResolver):
            pending.extend(item.url_patterns)
    return words


def _contains(tokens: tuple[str, ...], value: tuple[str, ...]) -> bool:
    size = len(value)
    first = value[0]
    return any(
        tokens[i] == first and tokens[i : i + size] == value for i in range(len(tokens) - size + 1)
    )
