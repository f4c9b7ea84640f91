"""Request fields of the JSON API: ids within the database's range, and fields that a client
may leave out but never send as ``null``.

A PATCH changes only the fields it sends. Declared ``str | None = None``, a field would also
accept ``{"phone": null}``: the model's ``full_clean()`` skips empty values of blank fields,
so the ``None`` reached the database, which refused it (NOT NULL) with a 500 whose error text
quoted the whole row, client data included. Declared with :func:`omittable`, the field keeps
its non-null type, so the schema (and the OpenAPI document) refuses ``null`` with a 422,
while leaving the field out still means "unchanged". Fields the model allows to be empty
(``null=True``) keep ``X | None`` instead.

Examples
--------
>>> from ninja import Schema
>>> class Patch(Schema):
...     phone: str = omittable(max_length=30)
>>> Patch.model_validate({}).dict(exclude_unset=True)
{}
>>> Patch.model_validate({"phone": None})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for Patch
...
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

#: The largest id a row can have (a signed 64-bit primary key, SQLite's and PostgreSQL's
#: bigint). A larger number cannot name a row: the schema refuses it (422) rather than the
#: database driver raising OverflowError (SQLite) or "bigint out of range" (PostgreSQL).
MAX_ID = 2**63 - 1

#: The type of every id an API client sends, in a path, a query or a body.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_null_default(schema: dict[str, Any]) -> None:
    # The Python default only marks "not sent"; the document must not offer null.
    schema.pop("default", None)


def omittable(**constraints: Any) -> Any:
    """A field that may be left out (``exclude_unset`` drops it) but is never ``null``."""
    return Field(None, json_schema_extra=_no_null_default, **constraints)
