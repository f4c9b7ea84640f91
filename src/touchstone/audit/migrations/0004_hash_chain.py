"""The audit log's hash chain (audit/chain.py) and, on PostgreSQL, a trigger that refuses
TRUNCATE (the row triggers of 0002 do not fire on it).

Events written before the chain are chained here, in primary-key order per clinic, with the
append-only trigger set aside for the length of this migration's transaction (the owner
role runs migrations)."""

from django.db import migrations, models

from touchstone.audit import chain

NO_TRUNCATE = """
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION touchstone_audit_append_only();
"""
FIELDS = ("id", *chain.CHAINED_FIELDS)


def link_existing(apps, schema_editor):
    connection = schema_editor.connection
    event = apps.get_model("audit", "AuditEvent")
    rows = list(event.objects.using(connection.alias).order_by("id").values(*FIELDS))
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.executemany(
            "UPDATE audit_auditevent SET prev_hash = %s, chain_hash = %s WHERE id = %s",
            [(prev, digest, pk) for pk, prev, digest in chain.link_rows(rows)],
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def no_truncate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_TRUNCATE)


def allow_truncate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_denied_action")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(
                editable=False,
                default="",
                help_text="SHA-256 of the clinic's previous event.",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_hash",
            field=models.CharField(
                editable=False,
                default="",
                help_text="SHA-256 of this event and prev_hash.",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["clinic", "id"], name="audit_chain_head"),
        ),
        migrations.RunPython(link_existing, migrations.RunPython.noop),
        migrations.RunPython(no_truncate, allow_truncate),
    ]
