"""Management commands as jobs in the application log."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.management.base import CommandError

from touchstone.logs import job

F = TypeVar("F", bound=Callable[..., Any])


def as_job(name: str) -> Callable[[F], F]:
    """Decorate a command's ``handle`` so that each run is a :func:`touchstone.logs.job`; a
    ``CommandError`` (bad input, exit status 2) ends it as ``job_refused``."""

    def decorate(handle: F) -> F:
        @functools.wraps(handle)
        def run(*args: Any, **kwargs: Any) -> Any:
            with job(name, refusals=(CommandError,)):
                return handle(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate
