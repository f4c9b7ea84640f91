"""The database's own guarantee that no staff member and no room is booked twice at once.

``scheduling.rules`` checks it first and names the appointment in the way; this migration
makes the database refuse an overlapping row whoever writes it (two requests racing, an
import, a script), on both engines Touchstone runs on:

* PostgreSQL: exclusion constraints with btree_gist, one per staff member and one per room,
  on ``tstzrange(starts_at, ends_at, '[)')`` for the statuses that hold time (booked,
  confirmed, arrived, completed). A concurrent insert waits for the other transaction and then
  fails with SQLSTATE 23P01 (exclusion_violation).
* SQLite: BEFORE INSERT and BEFORE UPDATE triggers that abort with a constraint error when a
  blocking row would overlap another (writes are serialised by SQLite's write lock anyway).

Django's ``ExclusionConstraint`` would put PostgreSQL-only SQL into SQLite's schema, so the SQL
is run here per engine; the model state is unchanged.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

BLOCKING = "('booked', 'confirmed', 'arrived', 'completed')"

POSTGRES_FORWARD = [
    f"""
    ALTER TABLE scheduling_appointment ADD CONSTRAINT scheduling_no_staff_overlap
    EXCLUDE USING gist (staff_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN {BLOCKING})
    """,
    f"""
    ALTER TABLE scheduling_appointment ADD CONSTRAINT scheduling_no_room_overlap
    EXCLUDE USING gist (room_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (room_id IS NOT NULL AND status IN {BLOCKING})
    """,
]
POSTGRES_BACKWARD = [
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT scheduling_no_room_overlap",
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT scheduling_no_staff_overlap",
]

_SQLITE_CHECK = """
    SELECT RAISE(ABORT, 'scheduling_no_double_booking')
    WHERE NEW.status IN ('booked', 'confirmed', 'arrived', 'completed') AND EXISTS (
        SELECT 1 FROM scheduling_appointment AS other
        WHERE other.id IS NOT NEW.id
          AND other.status IN ('booked', 'confirmed', 'arrived', 'completed')
          AND other.starts_at < NEW.ends_at AND NEW.starts_at < other.ends_at
          AND (other.staff_id = NEW.staff_id
               OR (NEW.room_id IS NOT NULL AND other.room_id = NEW.room_id))
    );
"""
SQLITE_FORWARD = [
    f"""CREATE TRIGGER scheduling_no_double_booking_insert
    BEFORE INSERT ON scheduling_appointment BEGIN {_SQLITE_CHECK} END""",
    f"""CREATE TRIGGER scheduling_no_double_booking_update
    BEFORE UPDATE OF staff_id, room_id, starts_at, ends_at, status ON scheduling_appointment
    BEGIN {_SQLITE_CHECK} END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER scheduling_no_double_booking_update",
    "DROP TRIGGER scheduling_no_double_booking_insert",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_services_rooms_hours_appointments")]

    operations = [
        BtreeGistExtension(),  # a no-op on SQLite
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
