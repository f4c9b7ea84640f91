from __future__ import annotations

from typing import Any

from touchstone.lib.phones import phone_e164


def test_it_writes_a_us_number_in_e164(settings: Any):
    settings.PHONE_REGION = "US"
    assert phone_e164("(312) 555-0142") == "+13125550142"
    assert phone_e164("(112) 555-0142") is None  # no US area code starts with 1
    assert phone_e164("+44 20 7946 0958") == "+442079460958"


def test_it_reads_a_national_number_in_the_configured_region(settings: Any):
    settings.PHONE_REGION = "GB"
    assert phone_e164("020 7946 0958") == "+442079460958"


def test_it_refuses_what_is_not_a_phone_number():
    assert phone_e164("call me") is None
    assert phone_e164("12") is None
