"""Signals for apps above outcomes that store summaries of their own (the access report by
fee tier, billing): they connect in their ``AppConfig.ready``.

``summaries_refreshed(sender=Clinic, actor=Actor, clinic=Clinic)`` is sent by
``summaries.refresh_clinic`` (``touchstone refresh-summaries`` and the worker's summaries job)
after the clinic's own summaries are up to date: a receiver brings its stored figures up to
date too (cheaply when nothing changed).
"""

from __future__ import annotations

from django.dispatch import Signal

summaries_refreshed = Signal()
