"""The ``touchstone`` console command: Django's management commands under one name.

``touchstone migrate``, ``touchstone demo``, ``touchstone score phq9 ...`` and so on;
nobody needs to type ``python manage.py``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "touchstone"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
