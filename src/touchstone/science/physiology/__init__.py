"""The body's side of Touchstone: biomarker units, cortisol, HRV, sleep diary, association.

Every function here takes plain values (floats, ``datetime.time``, numpy arrays, text) and
returns frozen dataclasses with a ``.to_dict()`` for the web layer and the command line.
Impossible values raise :class:`PhysiologyError` (a ``ValueError``) with a message that names
the offending value; they are never averaged in. See ``docs/physiology.md``.
"""

from __future__ import annotations


class PhysiologyError(ValueError):
    """A physiologically impossible or malformed input, with a message fit to show a user.

    ``reason`` is a fixed code (``"too_noisy"``, ``"too_few_beats"``, ...) for what the message
    says, for logs and programs: the message may quote the input, the code never does.
    """

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason
