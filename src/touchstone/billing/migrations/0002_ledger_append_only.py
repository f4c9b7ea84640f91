"""On PostgreSQL the database itself refuses UPDATE and DELETE on the ledger's rows (entries,
allocations, package draws, invoice lines), as it does on audit events: a correction is a
reversing entry, even for someone with a SQL prompt and the app's credentials. (SQLite, for a
single clinic, relies on the model and queryset guards; its test flushes delete rows.)"""

from django.db import migrations

TABLES = ["billing_entry", "billing_allocation", "billing_packagedraw", "billing_invoiceline"]
FUNCTION = """
CREATE OR REPLACE FUNCTION touchstone_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: post a reversing entry';
END;
$$ LANGUAGE plpgsql;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION touchstone_ledger_append_only()"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS touchstone_ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_fees_tiers_packages_ledger")]
    operations = [migrations.RunPython(forward, backward)]
