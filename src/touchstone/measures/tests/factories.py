from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import time_machine

from touchstone.accounts.models import StaffMember
from touchstone.clients.models import Client
from touchstone.conftest import actor_of
from touchstone.measures.actions import do_save_answers, do_start_administration
from touchstone.measures.models import Administration


def answered(
    client: Client,
    member: StaffMember,
    instrument_id: str,
    values: Sequence[Any],
    *,
    complete: bool = True,
    mode: str = "clinic",
    at: dt.datetime | None = None,
) -> Administration:
    """An administration of ``instrument_id`` answered in item order (None = missing),
    given now or at the aware datetime ``at``."""
    with time_machine.travel(at or dt.datetime.now(dt.UTC), tick=at is None):
        administration = do_start_administration(actor_of(member), client, instrument_id, mode)
        link_ids = [f"{instrument_id}-{i}" for i in range(1, len(values) + 1)]
        do_save_answers(
            actor_of(member),
            administration,
            dict(zip(link_ids, values, strict=True)),
            complete=complete,
        )
    administration.refresh_from_db()
    return administration
