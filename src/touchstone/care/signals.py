"""Signals other apps may listen to, for what happens to the record of care. Care sits low in
the layer map and imports none of the apps that care about its visits; they connect here
(in their ``AppConfig.ready``).

``visit_saved(sender=Visit, actor=Actor, visit=Visit, created=bool, changed=list[str])`` is sent
by ``actions.do_create_visit`` and ``actions.do_update_visit`` inside their transaction, so a
receiver's writes commit or roll back with the visit (scheduling completes the appointment
whose visit was completed).
"""

from __future__ import annotations

from django.dispatch import Signal

visit_saved = Signal()
