"""A throw-away Touchstone installation driven from outside, as an operator would: the
``touchstone`` command and gunicorn in subprocesses, over HTTP.

On SQLite the installation's database is a file in its own directory; when the test run has
a PostgreSQL ``DATABASE_URL``, a database of its own on that server (dropped afterwards).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import psycopg
from psycopg import sql

HOST = "touchstone.test"
STRONG_KEY = secrets.token_urlsafe(64)
#: Variables of the test run that must not leak into an installation's processes.
_CLEARED = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "TOUCHSTONE_MODE",
    "AXES_ENABLED",
    "STATIC_ROOT",
    "TOUCHSTONE_VAR_DIR",
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "TOUCHSTONE_DATABASE_AS_OWNER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "TOUCHSTONE_OWNER_PASSWORD",
}


def postgres_url() -> str | None:
    """The test run's PostgreSQL server, when it has one, as the role that may create
    databases (the owner's, when the run has two roles: docs/deploy.md)."""
    url = os.environ.get("DATABASE_OWNER_URL") or os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def database_environment(name: str) -> dict[str, str]:
    """DATABASE_URL (and DATABASE_OWNER_URL) of the test run's roles for database ``name``."""
    env = {"DATABASE_URL": _with_database(os.environ["DATABASE_URL"], name)}
    if os.environ.get("DATABASE_OWNER_URL"):
        env["DATABASE_OWNER_URL"] = _with_database(os.environ["DATABASE_OWNER_URL"], name)
    return env


def _with_database(url: str, name: str) -> str:
    return urllib.parse.urlparse(url)._replace(path=f"/{name}").geturl()


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(_with_database(url, "postgres"), autocommit=True)


def create_postgres_database(url: str, template: str | None = None) -> str:
    name = f"ts_{secrets.token_hex(6)}"
    with _admin(url) as conn:
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(statement)
    return name


def drop_postgres_database(url: str, name: str) -> None:
    with _admin(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str

    def csrf(self) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        assert match, f"no CSRF token in the page ({self.status})"
        return match.group(1)


@dataclass
class Browser:
    """Just enough of a browser: cookies, and the headers a TLS-terminating proxy adds."""

    port: int
    https: bool = True
    host: str = HOST
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        headers = {"Host": self.host}
        origin = f"{'https' if self.https else 'http'}://{self.host}"
        if self.https:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = origin
            headers["Referer"] = f"{origin}{path}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return Response(raw.status, raw.headers, text)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Response:
        return self.request("POST", path, form)


@dataclass
class Server:
    port: int
    log: Path
    host: str

    def browser(self, https: bool = True) -> Browser:
        return Browser(self.port, https=https, host=self.host)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Installation:
    root: Path
    env: dict[str, str]

    @property
    def host(self) -> str:
        """The production host name, or what ``make run`` answers to."""
        return HOST if self.env["TOUCHSTONE_MODE"] == "production" else "127.0.0.1"

    def touchstone(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "touchstone", *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check:
            assert result.returncode == 0, f"touchstone {' '.join(args)}:\n{result.stderr}"
        return result

    @contextmanager
    def gunicorn(self, *args: str) -> Iterator[Server]:
        port = free_port()
        server = Server(port, self.root / f"gunicorn-{port}.log", self.host)
        with server.log.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "python:touchstone.gunicorn_conf",
                 "--bind", f"127.0.0.1:{port}", "--workers", "1", *args],
                env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                self._wait_until_up(server, process)
                yield server
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)

    @staticmethod
    def _wait_until_up(server: Server, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{server.log_text()}")
            try:
                # Over plain HTTP: the health check is exempt from the HTTPS redirect.
                if server.browser(https=False).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"gunicorn did not answer /healthz:\n{server.log_text()}")


def base_environment(root: Path, mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(TOUCHSTONE_VAR_DIR=str(root), TOUCHSTONE_MODE=mode, STATIC_ROOT=str(root / "static"))
    if mode == "production":
        env.update(SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS=HOST)
    return env


@contextmanager
def installation(
    root: Path, mode: str = "production", template: str | None = None
) -> Iterator[Installation]:
    """An installation in ``root`` with an empty database, or a copy of ``template`` (a
    migrated SQLite file, or a migrated PostgreSQL database's name)."""
    root.mkdir(parents=True, exist_ok=True)
    env = base_environment(root, mode)
    server_url = postgres_url()
    if server_url is None:
        if template:
            shutil.copyfile(template, root / "touchstone.sqlite3")
        yield Installation(root, env)
        return
    name = create_postgres_database(server_url, template)
    env.update(database_environment(name))
    try:
        yield Installation(root, env)
    finally:
        drop_postgres_database(server_url, name)


def migrated_template(root: Path) -> str:
    """Migrate once, for installations that need not run every migration themselves."""
    server_url = postgres_url()
    env = base_environment(root, "development")
    if server_url is None:
        root.mkdir(parents=True, exist_ok=True)
        Installation(root, env).touchstone("migrate", "--noinput")
        path = root / "touchstone.sqlite3"
        with closing(sqlite3.connect(path)) as db:  # fold the WAL in, so one file is a copy
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return str(path)
    name = create_postgres_database(server_url)
    env.update(database_environment(name))
    Installation(root, env).touchstone("migrate", "--noinput")
    return name
