"""The ``touchstone`` console command: Django's management commands under one name.

``touchstone migrate``, ``touchstone demo``, ``touchstone score phq9 ...`` and so on;
nobody needs to type ``python manage.py``.
"""

from __future__ import annotations

import os
import sys

from touchstone.lib.threads import limit_blas_threads

#: Commands that change the schema or empty the tables (restore takes the owner's settings
#: itself, lib/db_roles.py): with DATABASE_OWNER_URL set they
#: connect as the owner of the tables, every other command as the app's role (docs/deploy.md).
OWNER_COMMANDS = frozenset({"migrate", "flush"})


def main(argv: list[str] | None = None) -> None:
    limit_blas_threads()  # before numpy loads (lib/threads.py)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
    # A command's stdout is its result (JSON or CSV that other tools read): logs go to stderr,
    # where a person at the terminal wants one line on bad input, so warnings and errors only
    # (LOG_LEVEL=INFO for a command run by cron or a timer). The development server and the
    # job worker are servers: their request and job lines are the point.
    os.environ.setdefault("LOG_STREAM", "stderr")
    args = list(sys.argv if argv is None else argv)
    if args[1:2] and args[1] in OWNER_COMMANDS:
        os.environ["TOUCHSTONE_DATABASE_AS_OWNER"] = "1"
    if args[1:2] not in (["runserver"], ["worker"]):
        os.environ.setdefault("LOG_LEVEL", "WARNING")
    from django.core.management import execute_from_command_line

    args[0] = "touchstone"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
