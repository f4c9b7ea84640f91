"""Keeping client data out of logs and error reports."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class NoClientDataExceptionFilter(SafeExceptionReporterFilter):
    """An exception reporter that hides every POST value and every frame's local variables.

    Django's default filter hides only settings that look secret; a traceback from a
    client form would otherwise carry names and answers into an e-mail or a log.
    """

    def get_post_parameters(self, request: HttpRequest | None) -> dict[str, Any]:
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
