"""Locust users for the load benchmark (bench/load/run.py starts them; see its docstring).

Each user signs in as the demo clinic's owner or clinician (half each), then, waiting 2-5 s
between requests as people do, mixes the pages a clinic's staff use all day: the home page,
the client list (and a search), a client's page and progress page, the outcomes dashboard,
and the API lists (clients, administrations, a client's visits) with a bearer token.

Reads from the environment: ``BENCH_CLIENT_IDS`` (a JSON file of client ids to visit),
``BENCH_API_TOKEN`` (a clinician's API token), ``BENCH_PASSWORD`` (the demo password).
"""

from __future__ import annotations

import json
import os
import random
import re
from itertools import count
from pathlib import Path

from locust import HttpUser, between, task

CLIENT_IDS: list[int] = json.loads(Path(os.environ["BENCH_CLIENT_IDS"]).read_text())
TOKEN = os.environ["BENCH_API_TOKEN"]
PASSWORD = os.environ.get("BENCH_PASSWORD", "touchstone-demo")
LOGINS = ("olivia", "casey")  # owner, clinician: both see the home lists and the dashboard
_serial = count()
_csrf = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Staff(HttpUser):
    wait_time = between(2, 5)

    def on_start(self) -> None:
        username = LOGINS[next(_serial) % len(LOGINS)]
        form = self.client.get("/accounts/login/", name="sign-in form")
        token = _csrf.search(form.text)
        if token is None:
            raise RuntimeError("no CSRF token on the sign-in form")
        response = self.client.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="sign in",
        )
        if "sessionid" not in self.client.cookies:
            raise RuntimeError(f"sign-in as {username} failed: {response.status_code}")
        self.api = {"Authorization": f"Bearer {TOKEN}"}

    def _client(self) -> int:
        return random.choice(CLIENT_IDS)

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(2)
    def client_list(self) -> None:
        self.client.get("/clients/", name="client list")

    @task(1)
    def client_search(self) -> None:
        self.client.get(f"/clients/?q={random.choice('abcdeghjklmnprst')}", name="client search")

    @task(3)
    def client_page(self) -> None:
        self.client.get(f"/clients/{self._client()}/", name="client page")

    @task(2)
    def progress_page(self) -> None:
        self.client.get(f"/clients/{self._client()}/progress/", name="progress page")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/outcomes/", name="outcomes dashboard")

    @task(1)
    def api_clients(self) -> None:
        self.client.get("/api/v1/clients/", headers=self.api, name="API clients")

    @task(1)
    def api_administrations(self) -> None:
        self.client.get("/api/v1/administrations", headers=self.api, name="API administrations")

    @task(1)
    def api_client_administrations(self) -> None:
        self.client.get(
            f"/api/v1/administrations?client_id={self._client()}",
            headers=self.api,
            name="API a client's administrations",
        )

    @task(1)
    def api_visits(self) -> None:
        self.client.get(
            f"/api/v1/care/clients/{self._client()}/visits", headers=self.api, name="API visits"
        )
