"""A service's price moves to the fee schedule (billing.Fee, with effective dates and
history): billing 0003 copied every price into it first."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_calendar_feeds_late_cancellation_online"),
        ("billing", "0003_fees_from_service_prices"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="historicalservice",
            name="price",
        ),
        migrations.RemoveField(
            model_name="service",
            name="price",
        ),
    ]
