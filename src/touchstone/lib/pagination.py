"""The API's one way to page a list: keyset (cursor) pagination, with inputs the database can
hold.

django-ninja's ``CursorPagination`` orders by a key (the primary key unless a list says
otherwise): a page is ``WHERE id > <last id of the previous page> ORDER BY id LIMIT n`` on an
index, the same cost on page 1 and page 3,000, and nothing counts the whole table (page-number
pagination ran ``COUNT(*)`` over every row of the clinic on every page: 94-146 ms at 140,000
administrations). Every list operation answers the same shape::

    {"results": [...], "next": "https://.../?cursor=...", "previous": null}

``next`` is null on the last page; rows added meanwhile appear at the end, so a client that
follows ``next`` until null sees every row once. ``page_size`` (1-200, default 50) sets the
page's length.

Inputs are bounded as everywhere in the API (``lib/api_fields``): ``page_size`` outside 1-200
and a ``cursor`` that is not one this API wrote (not base64, an offset or position out of
range, a position that is not a key of the list's type) are a 422 in the usual error shape,
never a driver error (an id of 10^20 raised ``OverflowError`` on SQLite and "bigint out of
range" on PostgreSQL, a 500).

A view whose rows need more than the schema's own conversion (e.g. a field only some roles
see) returns ``Shaped(queryset, shape)``: the page is read from the queryset, then each of its
rows goes through ``shape``.

Examples
--------
>>> KeysetPagination.Input.model_validate({"page_size": 200}).page_size
200
>>> KeysetPagination.Input.model_validate({"page_size": 201})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for Input
...
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import CursorPagination
from pydantic import ValidationError as PydanticValidationError

from touchstone.lib.api_fields import MAX_ID

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
#: A cursor this API writes is a few dozen characters; a longer one is not ours.
MAX_CURSOR_LENGTH = 200

BAD_CURSOR = "Not a cursor of this list: follow the next or previous link of a page."


def id_position(text: str) -> int:
    """The position of an id-ordered list: an id the database can hold."""
    value = int(text)
    if not 0 <= value <= MAX_ID:
        raise ValueError(text)
    return value


def instant_position(text: str) -> dt.datetime:
    """The position of a list ordered by a date-time: an aware instant."""
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(text)
    return value


class KeysetPagination(CursorPagination):
    """Keyset pagination by ``ordering`` (default ``("id",)``); ``position`` parses the first
    ordering key of a cursor (default: an id, :func:`id_position`)."""

    class Input(Schema):
        page_size: int | None = Field(
            None, ge=1, le=MAX_PAGE_SIZE, description=f"Rows per page (default {PAGE_SIZE})."
        )
        cursor: str | None = Field(
            None,
            max_length=MAX_CURSOR_LENGTH,
            description="From the next or previous link of the page before.",
        )

    def __init__(self, *, position: Callable[[str], Any] = id_position, **kwargs: Any) -> None:
        kwargs.setdefault("ordering", ("id",))
        kwargs.setdefault("page_size", PAGE_SIZE)
        kwargs.setdefault("max_page_size", MAX_PAGE_SIZE)
        super().__init__(**kwargs)
        self.position = position

    def check_cursor(self, encoded: str | None) -> None:
        """Refuse (422) a cursor that would reach the database as a value it cannot hold."""
        try:
            cursor = self.Cursor.from_encoded_param(encoded)
            if cursor.p is not None:
                self.position(cursor.p)
        except (NinjaValidationError, PydanticValidationError, ValueError, OverflowError):
            raise ValidationError({"cursor": [BAD_CURSOR]}) from None

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        self.check_cursor(pagination.cursor)
        shaped = queryset if isinstance(queryset, Shaped) else None
        if shaped is not None:
            queryset = shaped.queryset
        page = super().paginate_queryset(queryset, pagination, request, **params)
        if shaped is not None:
            rows = list(page[self.items_attribute])
            page[self.items_attribute] = (
                list(shaped.shape(rows))
                if shaped.whole_page
                else [shaped.shape(row) for row in rows]
            )
        return page


@dataclass(frozen=True)
class Shaped:
    """A list view's queryset and what each row of the page becomes; with ``whole_page``,
    ``shape`` takes the page's rows at once and returns theirs (a fixed number of queries
    per page instead of some per row)."""

    queryset: QuerySet[Any]
    shape: Callable[[Any], Any]
    whole_page: bool = False
