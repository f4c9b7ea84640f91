import pytest
from ninja import Schema
from pydantic import ValidationError

from touchstone.lib.api_fields import omittable


class Patch(Schema):
    phone: str = omittable(max_length=30)
    ended_on: str | None = None


def test_a_field_left_out_is_unchanged():
    assert Patch.model_validate({"ended_on": None}).dict(exclude_unset=True) == {"ended_on": None}


def test_it_refuses_null_for_an_omittable_field():
    with pytest.raises(ValidationError, match="phone"):
        Patch.model_validate({"phone": None})


def test_its_schema_neither_offers_null_nor_a_null_default():
    spec = Patch.model_json_schema()["properties"]["phone"]
    assert spec == {"maxLength": 30, "title": "Phone", "type": "string"}
    assert "phone" not in Patch.model_json_schema().get("required", [])


def test_an_id_is_a_positive_64_bit_number():
    from touchstone.lib.api_fields import MAX_ID, Id

    class Path(Schema):
        client_id: Id

    assert Path.model_validate({"client_id": MAX_ID}).client_id == MAX_ID
    for bad in (0, MAX_ID + 1, 10**20):
        with pytest.raises(ValidationError, match="client_id"):
            Path.model_validate({"client_id": bad})
