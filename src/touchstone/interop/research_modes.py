"""The research export's de-identification modes, apart from ``interop.research`` so that the
``export`` command can offer them without importing pandas (``touchstone export fhir`` starts
without it). The modes belong to the file format (``science.research_format``), which the
research network reads too."""

from __future__ import annotations

from touchstone.science.research_format import LIMITED, MODES, SAFE_HARBOR

__all__ = ["LIMITED", "MODES", "SAFE_HARBOR"]
