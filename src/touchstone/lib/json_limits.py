"""JSON from outside (uploads, API bodies) read with a bound on nesting.

``json.loads`` raises ``RecursionError`` (a 500) on a document nested deeper than Python's
recursion limit, and a document just under it reaches validators (FHIR's pydantic models) that
recurse once per level. No document Touchstone reads nests deeply (a FHIR Questionnaire's items
go a few levels), so :func:`loads` refuses more than :data:`MAX_DEPTH` levels with
:class:`TooDeep`, a ``ValueError`` with a message for the person.
"""

from __future__ import annotations

import json
from typing import Any

from ninja.parser import Parser

MAX_DEPTH = 64


class TooDeep(ValueError):
    def __init__(self, max_depth: int) -> None:
        super().__init__(f"The JSON is nested more than {max_depth} levels deep.")


def depth_within(data: Any, max_depth: int) -> bool:
    """Whether ``data`` (parsed JSON) nests at most ``max_depth`` arrays/objects deep;
    iterative, so any depth is measured without recursion."""
    stack = [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if level > max_depth:
            return False
        stack.extend((child, level + 1) for child in children)
    return True


def loads(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises :class:`TooDeep` beyond ``max_depth`` levels (and
    ``json.JSONDecodeError`` for what is not JSON)."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise TooDeep(max_depth) from None
    if not depth_within(data, max_depth):
        raise TooDeep(max_depth)
    return data


class BoundedParser(Parser):
    """django-ninja's JSON body parser with the nesting bound (a refused body is a 400 whose
    message says why: ``lib.api_errors``)."""

    def parse_body(self, request: Any) -> Any:
        return loads(request.body)
