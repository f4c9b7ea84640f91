"""Claims rows reached through the tenant boundary (views)."""

from __future__ import annotations

from touchstone.accounts.access import get_for
from touchstone.accounts.models import StaffMember
from touchstone.claims.models import Claim, Coverage


def get_claim_for(member: StaffMember, claim_id: int) -> Claim:
    return get_for(member, Claim.objects.select_related("client", "coverage__payer"), pk=claim_id)


def get_coverage_for(member: StaffMember, coverage_id: int) -> Coverage:
    return get_for(member, Coverage.objects.select_related("client", "payer"), pk=coverage_id)
