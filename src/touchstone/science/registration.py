"""How a registered protocol is frozen: its canonical JSON and SHA-256.

One definition for the clinic's controlled studies (``trials.models.ProtocolVersion``) and the
network's stepped-wedge studies (``science.network.stepped_wedge``), so a protocol hashes alike
wherever it is registered and anyone can check a hash with a few lines of any language. Kept
apart from ``science.trials`` (whose package loads scipy and statsmodels): the trials models
import it at Django start-up.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(content: dict[str, Any]) -> bytes:
    """The bytes a protocol's hash is taken over: JSON with sorted keys, no spaces, UTF-8.

    >>> canonical_json({"b": 1, "a": "é"})
    b'{"a":"\\xc3\\xa9","b":1}'
    """
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(content: dict[str, Any]) -> str:
    """The SHA-256 (hex) of a protocol's canonical JSON."""
    return hashlib.sha256(canonical_json(content)).hexdigest()
