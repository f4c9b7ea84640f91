"""Access-checked getters of controlled studies: another clinic's row is a 404."""

from __future__ import annotations

from touchstone.accounts.access import get_for
from touchstone.accounts.models import StaffMember
from touchstone.trials.models import ControlledStudy, Enrolment


def get_study_for(member: StaffMember, study_id: int) -> ControlledStudy:
    study: ControlledStudy = get_for(member, ControlledStudy.objects.all(), pk=study_id)
    return study


def get_enrolment_for(member: StaffMember, enrolment_id: int) -> Enrolment:
    enrolment: Enrolment = get_for(
        member, Enrolment.objects.select_related("study", "client", "consent"), pk=enrolment_id
    )
    return enrolment
