"""Production as documented, from nothing: migrate, ``touchstone setup``, ``collectstatic``,
gunicorn; the owner signs in, enrols two-factor and records the first client. And the demo
as ``make run`` serves it: DEBUG off, gunicorn, static files through WhiteNoise.

Everything runs as an operator would run it: commands and gunicorn in subprocesses, with
production settings, over HTTP behind a (simulated) TLS-terminating proxy.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from django_otp.oath import totp

from touchstone.tests.installation import installation

pytestmark = pytest.mark.slow

PASSWORD = "lantern-quarry-velvet-42"


def test_a_clinic_goes_from_nothing_to_its_first_client(tmp_path: Path):
    with installation(tmp_path / "site") as site:
        site.touchstone("migrate", "--noinput")
        out = site.touchstone(
            "setup", "--clinic", "Lakeside Massage", "--owner", "lee",
            "--email", "lee@lakeside.example", "--timezone", "America/Chicago",
            env={"TOUCHSTONE_OWNER_PASSWORD": PASSWORD},
        ).stdout  # fmt: skip
        assert "two-factor" in out
        refused = site.touchstone("demo", "--quiet", check=False)
        assert refused.returncode == 2 and "TOUCHSTONE_MODE=production" in refused.stderr
        site.touchstone("collectstatic", "--noinput")

        with site.gunicorn() as server:
            plain = server.browser(https=False).get("/accounts/login/")
            assert plain.status == 301
            assert plain.headers["Location"] == "https://touchstone.test/accounts/login/"

            browser = server.browser()
            login = browser.get("/accounts/login/")
            assert login.status == 200
            css = re.search(
                r'href="(/static/touchstone/touchstone\.[0-9a-f]{12}\.css)"', login.text
            )
            assert css, "the page links the hashed stylesheet"
            stylesheet = browser.get(css.group(1))
            assert (
                stylesheet.status == 200
                and "max-age=315360000" in stylesheet.headers["Cache-Control"]
            )

            signed_in = browser.post(
                "/accounts/login/",
                {"csrfmiddlewaretoken": login.csrf(), "username": "lee", "password": PASSWORD},
            )
            assert signed_in.status == 302, signed_in.text[:2000]
            home = browser.get("/")
            assert (home.status, home.headers["Location"]) == (302, "/accounts/two-factor/")
            enrol = browser.get("/accounts/two-factor/")
            # The key as an owner without a camera types it: Base32, in groups of four.
            secret = re.search(r"Or type this key: <code>([A-Z2-7 ]+)</code>", enrol.text)
            assert secret, enrol.text[:2000]
            code = f"{totp(base64.b32decode(secret.group(1).replace(' ', ''))):06d}"
            enrolled = browser.post(
                "/accounts/two-factor/", {"csrfmiddlewaretoken": enrol.csrf(), "code": code}
            )
            assert enrolled.status == 302, enrolled.text[:2000]

            form = browser.get("/clients/new/")
            assert form.status == 200
            created = browser.post(
                "/clients/new/",
                {
                    "csrfmiddlewaretoken": form.csrf(),
                    "given_name": "Rowan",
                    "family_name": "Ashby",
                    "date_of_birth": "1984-05-06",
                    "consent_to_treatment": "on",
                    "consent_to_treatment_on": "2026-01-05",
                },
            )
            assert created.status == 302, created.text[:3000]
            client_page = browser.get(created.headers["Location"])
            assert client_page.status == 200 and "Rowan" in client_page.text

            assert browser.get("/clients/?q=Rowan").status == 200
            assert browser.get("/p/not-a-real-token/").status == 404
            missing = browser.get("/no/such/page/")
            assert missing.status == 404 and "URLconf" not in missing.text

        log = server.log_text()
        assert '"GET /clients/" 200' in log  # the search, without its query string
        assert '"GET /p/…/" 404' in log
        for secret_text in ("Rowan", "not-a-real-token", PASSWORD):
            assert secret_text not in log


def test_make_run_serves_the_demo_with_debug_off(tmp_path: Path, migrated_database: str):
    with installation(tmp_path / "demo", mode="demo", template=migrated_database) as site:
        with site.gunicorn() as server:
            browser = server.browser(https=False)
            login = browser.get("/accounts/login/")
            assert login.status == 200
            assert browser.get("/static/vendor/vega-lite.min.js").status == 200  # WhiteNoise
            missing = browser.get("/no/such/page/?q=Dana")
            assert missing.status == 404
            assert "URLconf" not in missing.text and "DEBUG = True" not in missing.text
        log = server.log_text()
        assert '"GET /no/such/page/" 404' in log and "Dana" not in log
