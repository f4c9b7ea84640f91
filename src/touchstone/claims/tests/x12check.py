"""pyx12, the independent X12 validator: every 837P and 835 the tests make goes through it."""

from __future__ import annotations

import io
import json
from typing import Any

import pyx12.params
import pyx12.x12n_document


def x12_errors(text: str) -> list[str]:
    """Every error pyx12 reports for ``text`` (empty: valid against the implementation guide
    map it ships, 837P 005010X222A1 or 835 005010X221A1)."""
    errors_json, ack = io.StringIO(), io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(text), ack, None, None, errors_json
    )
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for error in node.get("errors", []):
                found.append(error.get("err_str", str(error)))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(errors_json.getvalue() or "{}"))
    if not valid and not found:
        found.append("pyx12 refused the file without an error list")
    return found
