"""The home page's lists per episode of care (one baseline everywhere, ``science.episodes``)
and the change criteria they were built under. The stored rows came from the older
first-score-against-latest rule: they are dropped and the lists marked unbuilt, so the first
read or ``touchstone refresh-summaries`` rebuilds them."""

import django.db.models.deletion
from django.db import migrations, models


def drop_lists(apps, schema_editor):
    apps.get_model("outcomes", "FlaggedCourse").objects.all().delete()
    apps.get_model("outcomes", "DueQuestionnaire").objects.all().delete()
    apps.get_model("outcomes", "ClinicSummary").objects.update(lists_built_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0004_clearance_signed_notes_addenda"),
        ("outcomes", "0002_client_lists_and_summaries"),
    ]

    operations = [
        migrations.RunPython(drop_lists, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="flaggedcourse",
            name="one_flag_per_course",
        ),
        migrations.AddField(
            model_name="clinicsummary",
            name="lists_criteria",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The clinic's change criteria when the lists were built (a new "
                "choice rebuilds them).",
                max_length=40,
            ),
        ),
        migrations.AddField(
            model_name="flaggedcourse",
            name="episode",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="care.episode",
            ),
        ),
        migrations.AddConstraint(
            model_name="flaggedcourse",
            constraint=models.UniqueConstraint(
                fields=("episode", "instrument_id", "flag"), name="one_flag_per_episode"
            ),
        ),
    ]
