"""Each administration records the version and language of the definition it was given with.

Every shipped definition was version 1.0.0, in English, until the definitions gained their
instructions and recall periods (GAD-7 and GAD-2 1.1.0: the authors' stem; PHQ-15 1.1.0: item
4 for women only), so the rows already stored were given with 1.0.0.
"""

from django.db import migrations, models


def given_with_1_0_0(apps, schema_editor):
    for name in ("Administration", "HistoricalAdministration"):
        apps.get_model("measures", name).objects.filter(instrument_version="").update(
            instrument_version="1.0.0"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("measures", "0001_administrations_and_risk_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="administration",
            name="instrument_version",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="administration",
            name="language",
            field=models.CharField(default="en", max_length=20),
        ),
        migrations.AddField(
            model_name="historicaladministration",
            name="instrument_version",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AddField(
            model_name="historicaladministration",
            name="language",
            field=models.CharField(default="en", max_length=20),
        ),
        migrations.RunPython(given_with_1_0_0, migrations.RunPython.noop),
    ]
