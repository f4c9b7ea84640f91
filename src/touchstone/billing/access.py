"""Ledger rows and packages reached through the tenant boundary (views and commands)."""

from __future__ import annotations

from touchstone.accounts.access import get_for
from touchstone.accounts.models import StaffMember
from touchstone.billing.models import ClientPackage, Entry, Invoice, PackagePlan


def get_entry_for(member: StaffMember, entry_id: int) -> Entry:
    return get_for(
        member,
        Entry.objects.select_related("clinic", "client", "service", "posted_by__user"),
        pk=entry_id,
    )


def get_plan_for(member: StaffMember, plan_id: int) -> PackagePlan:
    return get_for(member, PackagePlan.objects, pk=plan_id, is_active=True)


def get_package_for(member: StaffMember, package_id: int) -> ClientPackage:
    return get_for(member, ClientPackage.objects.select_related("plan"), pk=package_id)


def get_invoice_for(member: StaffMember, invoice_id: int) -> Invoice:
    return get_for(
        member, Invoice.objects.select_related("clinic", "client", "issued_by__user"), pk=invoice_id
    )
