import pytest
from pydantic import ValidationError

from touchstone.lib.api_pagination import MAX_PAGE, Pages


def test_it_takes_page_numbers_up_to_its_bound():
    assert Pages.Input.model_validate({"page": MAX_PAGE}).page == MAX_PAGE


@pytest.mark.parametrize("page", [0, MAX_PAGE + 1, 10**20])
def test_it_refuses_a_page_no_list_can_reach(page: int):
    with pytest.raises(ValidationError, match="page"):
        Pages.Input.model_validate({"page": page})


def test_it_refuses_a_page_size_beyond_the_apis_maximum():
    with pytest.raises(ValidationError, match="page_size"):
        Pages.Input.model_validate({"page_size": 10**20})
