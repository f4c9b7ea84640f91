"""The audit log's hash chain: each event stores the SHA-256 of the event before it in its
clinic's chain and its own, so a changed, removed or inserted event breaks a link that
``touchstone audit verify`` reports.

One chain per clinic (events without a clinic, such as failed sign-ins, form their own).
Per clinic rather than global because the link is written under a lock: a global chain would
make every clinic's requests wait on each other, and a clinic's chain can be verified, exported
and reasoned about on its own. Within a chain the order is the primary key's: the lock is
taken before the event is inserted, so ids grow along the chain.

The serialisation is frozen: changing it makes every existing chain fail verification. It is
the JSON of the fields below, keys sorted, no spaces, times in UTC with microseconds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.ipv6 import clean_ipv6_address

GENESIS = "0" * 64
# pg_advisory_xact_lock(key1, key2): key1 names the audit chain, key2 the clinic (0: none).
_LOCK_CLASS = 0x70A0D17
_INT4 = 2_147_483_647

CHAINED_FIELDS = (
    "clinic_id",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "detail",
    "channel",
    "ip_address",
    "at",
)


def _address(value: Any) -> str | None:
    """The form the database gives back (PostgreSQL's inet prints IPv6 compressed)."""
    if not value:
        return None
    text = str(value)
    return clean_ipv6_address(text) if ":" in text else text


def canonical(fields: dict[str, Any], prev_hash: str) -> bytes:
    """The bytes an event's hash is taken over: its chained fields and the previous hash."""
    at: datetime = fields["at"]
    doc = {name: fields[name] for name in CHAINED_FIELDS}
    doc["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    doc["ip_address"] = _address(fields["ip_address"])
    doc["prev_hash"] = prev_hash
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(fields, prev_hash)).hexdigest()


def lock_chain(clinic_id: int | None) -> None:
    """Hold the clinic's chain until the transaction ends, so two writers cannot both link to
    the same head. PostgreSQL: an advisory transaction lock (needs no table privilege).
    SQLite needs none: a write transaction holds the database's only write lock, and a
    transaction that read an older snapshot cannot write (SQLITE_BUSY_SNAPSHOT)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, (clinic_id or 0) % _INT4]
            )


@dataclass(frozen=True)
class Break:
    """The first broken link: which event, in which chain, and why."""

    event_id: int
    clinic_id: int | None
    reason: str


@dataclass(frozen=True)
class Verdict:
    events: int
    chains: int
    heads: dict[int | None, str]
    broken: Break | None


def verify(rows: Iterable[dict[str, Any]]) -> Verdict:
    """Walk events in primary-key order (``rows``: dicts with ``id``, the chained fields,
    ``prev_hash`` and ``chain_hash``) and return the first broken link, if any."""
    heads: dict[int | None, str] = {}
    count = 0
    for row in rows:
        count += 1
        clinic_id = row["clinic_id"]
        expected_prev = heads.get(clinic_id, GENESIS)
        if row["prev_hash"] != expected_prev:
            reason = (
                "does not link to the event before it (an event was removed, inserted or reordered)"
            )
            return Verdict(count, len(heads), heads, Break(row["id"], clinic_id, reason))
        if row["chain_hash"] != event_hash(row, row["prev_hash"]):
            reason = "its content does not match its hash (the event was changed)"
            return Verdict(count, len(heads), heads, Break(row["id"], clinic_id, reason))
        heads[clinic_id] = row["chain_hash"]
    return Verdict(count, len(heads), heads, None)


def link_rows(rows: Iterable[dict[str, Any]]) -> Iterator[tuple[int, str, str]]:
    """(id, prev_hash, chain_hash) for events in primary-key order: the chain as it should
    be. Used to chain the events written before the chain existed."""
    heads: dict[int | None, str] = {}
    for row in rows:
        prev = heads.get(row["clinic_id"], GENESIS)
        digest = event_hash(row, prev)
        heads[row["clinic_id"]] = digest
        yield row["id"], prev, digest
