from __future__ import annotations

from unittest import mock

from django.db import OperationalError
from django.test import Client as HttpClient


def test_it_answers_200_when_the_database_answers(db: object):
    response = HttpClient().get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_it_answers_503_when_the_database_does_not(db: object):
    with mock.patch("touchstone.views.connection.cursor", side_effect=OperationalError("down")):
        response = HttpClient().get("/healthz")
    assert response.status_code == 503
