"""The JSON API's page-number pagination, with a page number the database can reach.

django-ninja's ``PageNumberPagination`` accepts any ``page`` of at least 1; ``page=10**20``
became an OFFSET beyond a 64-bit integer, which the database driver refused with a 500
(``OverflowError`` on SQLite, ``bigint out of range`` on PostgreSQL). :class:`Pages` bounds
``page`` and ``page_size`` in the schema (422 beyond them, with the usual error shape); a page
past the last one is an empty list, as before.
"""

from __future__ import annotations

from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import PageNumberPagination

#: A page number no list reaches (a billion pages of 100) that keeps every OFFSET in range.
MAX_PAGE = 10**9


class Pages(PageNumberPagination):
    """``?page=N`` (1 to :data:`MAX_PAGE`) and ``?page_size=N`` (1 to the API's maximum)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=ninja_settings.PAGINATION_MAX_PER_PAGE_SIZE)
