"""Touchstone: measured massage therapy as a complement to the care of depression and anxiety."""

__version__ = "0.1.0"
