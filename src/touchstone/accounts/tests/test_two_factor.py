from __future__ import annotations

import base64
import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import time_machine
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from touchstone.conftest import Cast


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"


def _sign_in(username: str) -> HttpClient:
    http = HttpClient()
    http.post("/accounts/login/", {"username": username, "password": "correct horse battery"})
    return http


def test_it_sets_up_an_authenticator_app_with_one_code(cast: Cast, as_alice: HttpClient):
    page = as_alice.get("/accounts/two-factor/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=cast.alice.user, confirmed=False)
    response = as_alice.post("/accounts/two-factor/", {"code": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


def test_it_shows_the_key_to_type_in_base32_as_authenticator_apps_read_it(
    cast: Cast, as_alice: HttpClient
):
    page = as_alice.get("/accounts/two-factor/").content.decode()
    device = TOTPDevice.objects.get(user=cast.alice.user, confirmed=False)
    shown = re.search(r"type this key: <code>([^<]+)</code>", page)
    assert shown is not None
    typed = shown.group(1).replace(" ", "")
    # The same key the QR code carries, and it decodes to the device's key.
    assert typed == parse_qs(urlparse(device.config_url).query)["secret"][0]
    assert base64.b32decode(typed) == device.bin_key


def test_it_rejects_a_wrong_setup_code(cast: Cast, as_alice: HttpClient):
    as_alice.get("/accounts/two-factor/")
    response = as_alice.post("/accounts/two-factor/", {"code": "000000"})
    assert "does not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.alice.user, confirmed=True).exists()


def test_it_asks_for_a_code_before_any_page_once_a_device_exists(cast: Cast):
    device = TOTPDevice.objects.create(user=cast.bob.user, name="phone", confirmed=True)
    http = _sign_in("bob")
    response = http.get("/clients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/verify/")
    bad = http.post("/accounts/verify/", {"code": "123456", "next": "/clients/"})
    assert "not valid" in bad.content.decode()
    device.refresh_from_db()
    # django-otp throttles after a failure (1 s, doubling); come back a little later.
    with time_machine.travel(device.throttling_failure_timestamp + dt.timedelta(seconds=5)):
        good = http.post("/accounts/verify/", {"code": _code(device), "next": "/clients/"})
    assert good["Location"] == "/clients/"
    assert http.get("/clients/").status_code == 200


def test_it_sends_staff_without_a_device_to_set_one_up_when_the_clinic_requires_it(cast: Cast):
    cast.harbour.require_two_factor = True
    cast.harbour.save()
    http = _sign_in("tess")
    response = http.get("/clients/")
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/"
    # Other clinics are not affected.
    assert _sign_in("charlie").get("/clients/").status_code == 200


def test_it_lets_the_owner_require_two_factor_for_the_clinic(cast: Cast, as_alice: HttpClient):
    response = as_alice.post(
        "/accounts/clinic/",
        {
            "name": "Harbour Massage",
            "time_zone": "America/Chicago",
            "require_two_factor": "on",
            "crisis_line": "Call or text 988",
            "emergency_number": "911",
            "idle_minutes": "20",
        },
    )
    assert response.status_code == 302
    cast.harbour.refresh_from_db()
    assert cast.harbour.require_two_factor


def test_it_does_not_open_the_verify_page_to_anonymous_visitors(db: object):
    response = HttpClient().get("/accounts/verify/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"


def test_a_verified_login_looks_up_only_its_device_and_loses_it_with_the_device(cast: Cast):
    device = TOTPDevice.objects.create(user=cast.bob.user, name="phone", confirmed=True)
    http = _sign_in("bob")
    http.post("/accounts/verify/", {"code": _code(device), "next": "/clients/"})
    with CaptureQueriesContext(connection) as queries:
        assert http.get("/clients/").status_code == 200
    # The device it verified with, read by django-otp; no second search of the user's devices
    # (whether they have one is read with the user: accounts/backends.py).
    device_reads = [q["sql"] for q in queries.captured_queries if "otp_totp_totpdevice" in q["sql"]]
    assert sum(sql.startswith('SELECT "otp_totp_totpdevice"') for sql in device_reads) == 1
    assert all('FROM "auth_user"' in sql for sql in device_reads if "EXISTS" in sql)
    device.delete()
    cast.harbour.require_two_factor = True
    cast.harbour.save()
    response = http.get("/clients/")
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/"


def _requiring_two_factor(cast: Cast) -> None:
    cast.harbour.require_two_factor = True
    cast.harbour.save(update_fields=["require_two_factor"])


def test_the_enrolment_page_shows_no_menu_while_every_page_leads_back_to_it(cast: Cast):
    _requiring_two_factor(cast)
    http = _sign_in("alice")
    page = http.get("/accounts/two-factor/").content.decode()
    assert 'id="main-nav"' not in page and 'href="/clients/"' not in page
    assert 'href="/accounts/profile/"' not in page  # it too would lead back here
    assert 'action="/accounts/logout/"' in page  # signing out still works
    device = TOTPDevice.objects.get(user=cast.alice.user, confirmed=False)
    http.post("/accounts/two-factor/", {"code": _code(device)})
    home = http.get("/").content.decode()
    assert 'id="main-nav"' in home and 'href="/clients/"' in home


def test_the_code_page_shows_no_menu_before_the_code_either(cast: Cast):
    TOTPDevice.objects.create(user=cast.bob.user, name="phone", confirmed=True)
    page = _sign_in("bob").get("/accounts/verify/?next=/clients/").content.decode()
    assert "Enter your code" in page and 'id="main-nav"' not in page


def test_after_a_first_enrolment_the_owner_is_shown_the_first_steps_with_their_links(cast: Cast):
    _requiring_two_factor(cast)
    http = _sign_in("alice")
    http.get("/accounts/two-factor/")
    device = TOTPDevice.objects.get(user=cast.alice.user, confirmed=False)
    response = http.post("/accounts/two-factor/", {"code": _code(device)}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    page = response.content.decode()
    assert "Two-factor sign-in is on. Next:" in page
    assert '<a href="/accounts/clinic/">Clinic settings</a>' in page
    assert '<a href="/settings/scheduling/">Scheduling settings</a>' in page
    invite_link = '<a href="/accounts/staff/invite/?role=clinician">invite a licensed clinician</a>'
    assert f"{invite_link} before sending questionnaires: risk alerts go to clinicians" in page
    invite = http.get("/accounts/staff/invite/?role=clinician").content.decode()
    assert '<option value="clinician" selected>' in invite


def test_a_therapists_enrolment_names_no_owners_steps_and_a_new_phone_goes_back_to_the_account(
    cast: Cast,
):
    _requiring_two_factor(cast)
    http = _sign_in("tess")
    http.get("/accounts/two-factor/")
    device = TOTPDevice.objects.get(user=cast.tess.user, confirmed=False)
    page = http.post("/accounts/two-factor/", {"code": _code(device)}, follow=True)
    html = page.content.decode()
    assert "Two-factor sign-in is on." in html and "Next:" not in html
    http.get("/accounts/two-factor/")  # a new phone replaces the app
    second = TOTPDevice.objects.get(user=cast.tess.user, confirmed=False)
    replaced = http.post("/accounts/two-factor/", {"code": _code(second)})
    assert replaced["Location"] == "/accounts/profile/"


def test_a_first_enrolment_the_clinic_requires_says_so_and_not_that_one_chose_it(cast: Cast):
    # Tryout 2 (F): the required first enrolment read "…or you chose to use one".
    _requiring_two_factor(cast)
    required = _sign_in("alice").get("/accounts/two-factor/").content.decode()
    assert "Your clinic asks for a one-time code" in required and "you chose" not in required
    assert "Set one up now; your pages open once it is on." in required
    cast.harbour.require_two_factor = False
    cast.harbour.save(update_fields=["require_two_factor"])
    chosen = _sign_in("bob").get("/accounts/two-factor/").content.decode()
    assert "Your clinic asks" not in chosen and "you chose" not in chosen
    assert "every sign-in asks for a one-time code from an authenticator app" in chosen
