"""Gunicorn's settings for Touchstone: ``gunicorn --config python:touchstone.gunicorn_conf``.

Used by ``make run`` (demo mode) and in production (docs/deploy.md). Options given on the
command line win (``--bind``, ``--workers``); ``WEB_CONCURRENCY`` sets the number of workers.
"""

from __future__ import annotations

import os

wsgi_app = "touchstone.wsgi:application"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Access log on stdout: client address, time, method, path (never the query string, which can
# hold a searched name), status, bytes and duration. Private-link and password-reset tokens in
# paths are masked by the logger class (touchstone/accesslog.py).
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
logger_class = "touchstone.accesslog.AccessLogger"
# Gunicorn 25+ opens a control socket at one path per user ($HOME/.gunicorn/gunicorn.ctl), which
# a second instance on the same machine (another clinic, a test run) would take over. Nothing
# here uses gunicornc; an operator who wants it passes --control-socket PATH.
control_socket_disable = True
