"""Access logs never hold a private-link token, a password-reset token, a search or a cookie."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from touchstone import gunicorn_conf
from touchstone.accesslog import AccessLogger, MaskSecretsFilter, mask_secrets

TOKEN = ".eJyrVspMUbIy1FHKS8xNBTFNzQ0MDC2VagE7mgXl:1tNz8Q:abc_DEF-123"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/p/{TOKEN}/", "/p/…/"),
        (f"/physiology/diary/{TOKEN}/", "/physiology/diary/…/"),
        (f"/a/confirm/{TOKEN}/", "/a/confirm/…/"),
        (f"/a/cancel/{TOKEN}/", "/a/cancel/…/"),
        (f"/p/{TOKEN}/book/12/move/", "/p/…/book/12/move/"),
        ("/calendar/feeds/tscal_abc-DEF_123.ics", "/calendar/feeds/…"),
        (
            "/accounts/password/reset/MTI/cx3v4b-0123456789abcdef/",
            "/accounts/password/reset/MTI/…/",
        ),
        ("/accounts/password/reset/sent/", "/accounts/password/reset/sent/"),
        ("/clients/12/", "/clients/12/"),
    ],
)
def test_it_masks_tokens_in_paths(path: str, logged: str):
    assert mask_secrets(path) == logged


def _line(log_format: str, raw_uri: str, referer: str = "-") -> str:
    cfg = Config()
    cfg.set("access_log_format", log_format)
    logger = AccessLogger(cfg)
    path, _, query = raw_uri.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": referer,
        "HTTP_COOKIE": "sessionid=s3cr3tsession; csrftoken=c5rf",
    }
    request = SimpleNamespace(
        headers=[("COOKIE", environ["HTTP_COOKIE"]), ("AUTHORIZATION", "Bearer ts_ab_secret")]
    )
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[("Set-Cookie", "sid=x")])
    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=12))
    return log_format % logger.atoms_wrapper_class(atoms)


def test_the_shipped_format_logs_paths_without_tokens_or_queries():
    line = _line(gunicorn_conf.access_log_format, f"/p/{TOKEN}/?lang=es")
    assert '"GET /p/…/" 200 1234 12ms' in line
    assert TOKEN not in line and "lang" not in line
    assert "Dana" not in _line(gunicorn_conf.access_log_format, "/clients/?q=Dana+Example")


def test_any_other_format_an_operator_picks_is_masked_too():
    combined = (
        '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(q)s '
        "%({cookie}i)s %({authorization}i)s %({http_cookie}e)s %({raw_uri}e)s "
        "%({query_string}e)s %({set-cookie}o)s"
    )
    line = _line(combined, f"/p/{TOKEN}/?q=Dana", referer=f"https://t.example/p/{TOKEN}/?q=Dana")
    for secret in (TOKEN, "Dana", "s3cr3tsession", "c5rf", "ts_ab_secret", "sid=x"):
        assert secret not in line
    assert '"GET /p/…/ HTTP/1.1"' in line and '"https://t.example/p/…/"' in line


def test_djangos_own_log_records_are_masked():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/p/{TOKEN}/",), None
    )
    assert MaskSecretsFilter().filter(record)
    assert record.getMessage() == "Not Found: /p/…/"
