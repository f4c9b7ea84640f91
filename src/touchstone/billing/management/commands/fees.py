"""``touchstone fees tier --income 31000 --household 3 [--region contiguous] [--clinic SLUG]``:
the percent of the HHS poverty guideline and the sliding-scale tier a household falls in —
the clinic's tiers with ``--clinic``, else the default tiers shipped with the guideline table
(``science/data/hhs_poverty_guidelines.json``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import CommandParser

from touchstone.accounts.commands import TouchstoneCommand, bad
from touchstone.billing.actions import clinic_tiers
from touchstone.billing.models import Region
from touchstone.science import fees


def _income(value: str) -> Decimal:
    try:
        income = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise bad(f"--income is not a number: {value!r}") from None
    if not income.is_finite() or income < 0:
        raise bad("--income must be 0 or more")
    return income


class Command(TouchstoneCommand):
    help = "Sliding-scale fees: the tier of a household (fees tier --income N --household N)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        tier = sub.add_parser("tier", help="The tier and percent of poverty guideline.")
        tier.add_argument("--income", required=True, help="Annual household income.")
        tier.add_argument("--household", required=True, type=int, help="Persons in it.")
        tier.add_argument("--region", default="contiguous", choices=Region.values)
        self.add_clinic_argument(tier)

    def handle(self, *args: Any, **options: Any) -> None:
        table = fees.guidelines()
        try:
            guideline = table.guideline(options["region"])
            percent = fees.percent_of_guideline(
                _income(options["income"]), options["household"], guideline
            )
        except fees.FeeError as error:
            raise bad(str(error)) from None
        if options.get("clinic"):
            tiers = clinic_tiers(self.clinic_for(options["clinic"]))
            if not tiers:
                raise bad("this clinic has no fee tiers yet")
            source = "the clinic's tiers"
        else:
            tiers, source = list(table.default_tiers), "the default tiers"
        tier = fees.choose_tier(percent, tiers)
        self.stdout.write(
            f"{percent}% of the {guideline.year} HHS poverty guideline "
            f"({guideline.label}, household of {options['household']}: "
            f"{guideline.for_household(options['household'])})\n"
            f"tier: {tier.name} (pays {tier.fee_percent.normalize():f}% of the full fee; "
            f"{source})"
        )
