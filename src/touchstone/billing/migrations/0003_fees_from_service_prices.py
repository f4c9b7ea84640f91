"""The fee schedule takes over the services' list prices: each service's ``price`` becomes
its first fee, effective from the day the service was created (its first version), so no
price is lost when scheduling's next migration removes the field."""

import datetime as dt

from django.db import migrations


def forward(apps, schema_editor):
    Service = apps.get_model("scheduling", "Service")
    HistoricalService = apps.get_model("scheduling", "HistoricalService")
    Fee = apps.get_model("billing", "Fee")
    first = {}
    for row in HistoricalService.objects.order_by("history_date").values("id", "history_date"):
        first.setdefault(row["id"], row["history_date"].date())
    Fee.objects.bulk_create(
        Fee(
            clinic_id=service.clinic_id,
            service_id=service.pk,
            amount=service.price,
            effective_from=first.get(service.pk, dt.date(2000, 1, 1)),
            note="list price before the fee schedule",
        )
        for service in Service.objects.all()
    )


def backward(apps, schema_editor):
    # The field comes back with scheduling 0004's reversal; its values are the newest fees.
    Service = apps.get_model("scheduling", "Service")
    Fee = apps.get_model("billing", "Fee")
    for service in Service.objects.all():
        fee = Fee.objects.filter(service_id=service.pk).order_by("-effective_from").first()
        if fee is not None:
            service.price = fee.amount
            service.save(update_fields=["price"])
    Fee.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_ledger_append_only"),
        ("scheduling", "0002_no_double_booking"),
    ]
    operations = [migrations.RunPython(forward, backward)]
