from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def membership(request: HttpRequest) -> dict[str, Any]:
    member = getattr(request, "member", None)
    return {"member": member if member else None}
