"""The catalogue's own rules: which ids are a clinic's own, and the retired ratings."""

from __future__ import annotations

from touchstone.care.models import SESSION_RATING_INSTRUMENTS as CARE_RATINGS
from touchstone.instruments.catalogue import CUSTOM_ID, SESSION_RATING_INSTRUMENTS, is_custom


def test_the_retired_ratings_are_the_ones_care_retired():
    assert SESSION_RATING_INSTRUMENTS == CARE_RATINGS


def test_a_clinics_own_id_carries_its_clinic():
    assert is_custom("c12-sleep-check") and CUSTOM_ID.match("c12-sleep-check").group(1) == "12"
    assert not is_custom("phq9") and not is_custom("c-12") and not is_custom("crisis")
