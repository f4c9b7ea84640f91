"""The body's side of Touchstone: biomarker units, cortisol, HRV, sleep diary, association.

Every function here takes plain values (floats, ``datetime.time``, numpy arrays, text) and
returns frozen dataclasses with a ``.to_dict()`` for the web layer and the command line.
Impossible values raise :class:`PhysiologyError` (a ``ValueError``) with a message that names
the offending value; they are never averaged in. See ``docs/physiology.md``.
"""

from __future__ import annotations


class PhysiologyError(ValueError):
    """A physiologically impossible or malformed input, with a message fit to show a user."""
