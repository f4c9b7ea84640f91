"""The session ratings' one home is the visit: copy the retired ``rating-*`` questionnaires'
answers into the visits and take them out of the episodes' plans (care/ratings_move.py)."""

from typing import Any

from django.db import migrations

from touchstone.care.ratings_move import move_session_ratings


def forward(apps: Any, schema_editor: Any) -> None:
    move_session_ratings(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_clinic_change_criteria"),
        ("care", "0002_healthcare_use"),
        ("measures", "0002_administration_version_language"),
    ]

    # Backwards: the values stay on the visits (they are the record now); nothing to undo.
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
