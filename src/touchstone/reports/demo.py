"""Demo data for reports: the demo clinic's identity and fee, and health-care use reported
during care (fewer emergency and primary-care visits for most clients than at intake)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from touchstone.accounts.roles import Role
from touchstone.care.healthcare_use import HealthcareUse
from touchstone.care.models import Intake
from touchstone.clients.demo import DemoContext

#: CMS's worked example of a valid NPI (check digit 3); synthetic, as is the EIN.
DEMO_NPI = "1234567893"


def add_report_data(ctx: DemoContext) -> None:
    clinic = ctx.clinic
    clinic.address = "1 Example Quay, Springfield, IL 62701 (synthetic)"
    clinic.phone = "555-010-0100"
    clinic.npi = DEMO_NPI
    clinic.tax_id = "12-3456789"
    clinic.fee_97124 = Decimal("30.00")
    if ctx.first:
        clinic.save(update_fields=["address", "phone", "npi", "tax_id", "fee_97124"])
    rng = ctx.rng
    therapist = ctx.staff[Role.THERAPIST]
    rows = []
    for intake in Intake.objects.filter(clinic=clinic, **ctx.client_range()).order_by("pk"):
        if rng.random() < 0.3:
            continue
        for weeks_ago in (8, 2):
            ed = max(0, (intake.ed_visits_6m or 0) // 6 - (1 if rng.random() < 0.5 else 0))
            primary = max(
                0, round((intake.primary_care_visits_6m or 0) / 6 * rng.uniform(0.4, 1.1))
            )
            rows.append(
                HealthcareUse(
                    clinic=clinic,
                    client_id=intake.client_id,
                    reported_on=ctx.today - dt.timedelta(weeks=weeks_ago),
                    months=1,
                    ed_visits=ed,
                    primary_care_visits=primary,
                    recorded_by=therapist,
                )
            )
    bulk_create_with_history(rows, HealthcareUse, default_user=therapist.user, batch_size=500)
