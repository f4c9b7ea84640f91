import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_clinic_delivery_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="clinic",
            name="alliance_after_visits",
            field=models.PositiveSmallIntegerField(
                default=3,
                help_text="The WAI-SR falls due once per episode at the visit after this many completed visits (once the clinic can give it: its licensed text is entered).",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(52),
                ],
                verbose_name="Alliance questionnaire after (visits)",
            ),
        ),
    ]
