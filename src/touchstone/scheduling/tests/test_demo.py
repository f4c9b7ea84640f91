"""The demo clinic's calendar and message history: deterministic for a seed, past weeks done,
this week and the next booked, and reminders the worker does not send again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from touchstone.clients.demo import build_demo_clinic
from touchstone.messaging.models import Message
from touchstone.scheduling.models import Appointment

TODAY = dt.date(2026, 11, 4)  # a Wednesday
NOW = dt.datetime(2026, 11, 4, 15, 0, tzinfo=dt.UTC)


def _calendar() -> list[tuple[Any, ...]]:
    return list(
        Appointment.objects.order_by("starts_at", "staff__user__username").values_list(
            "starts_at", "staff__user__username", "status", "client__given_name", "service__name"
        )
    )


def _history() -> list[tuple[Any, ...]]:
    # Not the keys: they hold appointment ids, which PostgreSQL's sequences do not roll back.
    return list(
        Message.objects.order_by("created_at", "client__given_name", "key").values_list(
            "created_at", "send_after", "status", "client__given_name"
        )
    )


def _build_and_roll_back(seed: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with time_machine.travel(NOW, tick=False), transaction.atomic():
        build_demo_clinic(seed=seed, n_clients=30, today=TODAY)
        calendar, history = _calendar(), _history()
        transaction.set_rollback(True)
    return calendar, history


@pytest.mark.django_db
def test_the_demo_calendar_and_its_reminders_are_deterministic_for_a_seed():
    calendar, history = _build_and_roll_back(3)
    assert history and (calendar, history) == _build_and_roll_back(3)
    assert _build_and_roll_back(4)[0] != calendar


@pytest.mark.django_db
def test_the_demo_fills_past_weeks_this_week_and_next_and_the_worker_resends_nothing():
    with time_machine.travel(NOW, tick=False):
        build_demo_clinic(seed=3, n_clients=30, today=TODAY)
        monday = TODAY - dt.timedelta(days=TODAY.weekday())
        rows = list(Appointment.objects.select_related("clinic"))
        by_week: dict[int, set[str]] = {}
        for row in rows:
            local = row.starts_at.astimezone(row.clinic.zone).date()
            by_week.setdefault((local - monday).days // 7, set()).add(row.status)
        calendar = {-3, -2, -1, 0, 1}
        assert calendar <= set(by_week)
        # Earlier weeks hold only the completed visits the claims demo booked to bill them.
        assert all(by_week[w] == {"completed"} for w in set(by_week) - calendar)
        past = set().union(*(by_week[w] for w in (-3, -2, -1)))
        assert {"completed", "no_show"} <= past and past & {"cancelled", "late_cancelled"}
        assert "booked" in by_week[1] and "completed" not in by_week[1]
        reminders = Message.objects.filter(kind="reminder")
        assert reminders.filter(status="sent").count() > len(rows) // 2
        for message in reminders[:20]:
            assert "/a/confirm/" in message.body and "score" not in message.body
        before = reminders.count()
        call_command("worker", "--once", verbosity=0)
        # Only reminders whose time had not come when the demo was built may go now.
        assert len(mail.outbox) == Message.objects.filter(kind="reminder").count() - before
