"""The API's one pagination (lib/pagination): keyset paging whose inputs are bounded as every
API input is (lib/api_fields): out of range is a 422 in the error shape, never a driver error."""

import base64

import pytest
from django.core.exceptions import ValidationError
from pydantic import ValidationError as SchemaError

from touchstone.lib.api_fields import MAX_ID
from touchstone.lib.pagination import (
    MAX_CURSOR_LENGTH,
    MAX_PAGE_SIZE,
    KeysetPagination,
    instant_position,
)


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize("size", [1, MAX_PAGE_SIZE])
def test_it_takes_page_sizes_within_its_bounds(size: int):
    assert KeysetPagination.Input.model_validate({"page_size": size}).page_size == size


@pytest.mark.parametrize("size", [0, MAX_PAGE_SIZE + 1, 10**20])
def test_it_refuses_a_page_size_beyond_the_apis_maximum(size: int):
    with pytest.raises(SchemaError, match="page_size"):
        KeysetPagination.Input.model_validate({"page_size": size})


def test_it_refuses_a_cursor_longer_than_any_it_writes():
    with pytest.raises(SchemaError, match="cursor"):
        KeysetPagination.Input.model_validate({"cursor": "A" * (MAX_CURSOR_LENGTH + 1)})


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        _cursor(f"p={MAX_ID + 1}"),  # OverflowError on SQLite, bigint out of range on PostgreSQL
        _cursor("p=10" + "0" * 20),
        _cursor("p=-1"),
        _cursor("p=abc"),  # ValueError from the id field
        _cursor("p=5&o=-1"),
        _cursor("p=5&o=10000000"),
    ],
)
def test_it_refuses_a_cursor_the_database_cannot_take(cursor: str):
    with pytest.raises(ValidationError) as refused:
        KeysetPagination().check_cursor(cursor)
    assert "cursor" in refused.value.message_dict


def test_it_takes_the_cursors_it_writes():
    pagination = KeysetPagination()
    pagination.check_cursor(None)
    pagination.check_cursor(pagination.Cursor(p=str(MAX_ID), o=1).encode_as_param())
    by_time = KeysetPagination(ordering=("starts_at", "id"), position=instant_position)
    by_time.check_cursor(by_time.Cursor(p="2026-03-03 15:00:00+00:00").encode_as_param())
    with pytest.raises(ValidationError):  # a wall-clock time is not an instant
        by_time.check_cursor(by_time.Cursor(p="2026-03-03 15:00:00").encode_as_param())
