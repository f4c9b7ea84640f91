"""The sign-in page of the demo says it is a demo and how to sign in; a real clinic's does
not (issue 17 §4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from touchstone.accounts.models import Clinic
from touchstone.clients.demo import DEMO_SLUG


@pytest.fixture
def demo_clinic(db: None) -> Clinic:
    return Clinic.objects.create(name="Demo Massage", slug=DEMO_SLUG)


def test_the_demo_says_it_is_one_and_how_to_sign_in(demo_clinic: Clinic, settings: Any):
    settings.MODE = "demo"
    html = HttpClient().get("/accounts/login/").content.decode()
    assert "This is a demo" in html and "<strong>olivia</strong>, owner" in html
    assert settings.TOUCHSTONE_DEMO_PASSWORD in html


@pytest.mark.parametrize("mode", ["production", "development"])
def test_a_real_clinics_sign_in_page_says_nothing_of_a_demo(
    demo_clinic: Clinic, settings: Any, mode: str
):
    settings.MODE = mode
    html = HttpClient().get("/accounts/login/").content.decode()
    assert "demo" not in html.lower() and settings.TOUCHSTONE_DEMO_PASSWORD not in html


def test_demo_mode_without_the_demo_clinic_shows_no_logins(db: None, settings: Any):
    settings.MODE = "demo"
    assert "This is a demo" not in HttpClient().get("/accounts/login/").content.decode()
