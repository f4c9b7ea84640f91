import pytest

from touchstone.lib.npi import npi_is_valid


def test_it_accepts_the_cms_worked_example():
    assert npi_is_valid("1234567893")


@pytest.mark.parametrize(
    "npi", ["1234567890", "1234567894", "12345", "12345678931", "12345678a3", ""]
)
def test_it_refuses_a_wrong_check_digit_or_shape(npi: str):
    assert not npi_is_valid(npi)


def test_it_catches_every_single_digit_typo_of_the_example():
    example = "1234567893"
    typos = [
        example[:i] + str(d) + example[i + 1 :]
        for i in range(10)
        for d in range(10)
        if str(d) != example[i]
    ]
    assert not any(npi_is_valid(t) for t in typos)
