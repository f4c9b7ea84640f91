"""Signals for apps that act on the schedule without scheduling knowing them (reminders and
messages, issue 13 §3; they sit beside or above scheduling and connect in their
``AppConfig.ready``).

``appointment_saved(sender=Appointment, actor=Actor, appointment=Appointment, event=str,
changed=list[str])`` is sent by every action that writes an appointment, inside its
transaction (a receiver's own writes commit or roll back with it; send anything that leaves
the machine from ``transaction.on_commit``). ``event`` is one of:

* ``"booked"`` — a new appointment (also each occurrence of a series);
* ``"moved"`` — its time, staff member, room or service changed (``changed`` names the
  fields): reminders already planned for the old time are void;
* ``"note"`` — only the front-desk note changed;
* ``"status"`` — it reached ``appointment.status`` (confirmed, arrived, completed, cancelled,
  late cancellation, no-show): a cancelled or missed appointment needs no reminder.
"""

from __future__ import annotations

from django.dispatch import Signal

appointment_saved = Signal()
