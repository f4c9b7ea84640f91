"""Staff roles and what each may do: the one permission matrix of the app.

Views and API operations name a permission (``requires("clients.view")``); this table
says which roles hold it. Changing who may do what is an edit here and nowhere else.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    CLINICIAN = "clinician", "Clinician (licensed)"
    THERAPIST = "therapist", "Massage therapist"
    FRONT_DESK = "front_desk", "Front desk"
    RESEARCHER = "researcher", "Researcher"


#: The role of whoever sets up a new clinic (``touchstone setup``): the only role that can
#: invite the rest of the staff.
FOUNDING_ROLE = Role.OWNER

_CARE_TEAM = frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST, Role.FRONT_DESK})
_EVERYONE = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    # Client records (identifiable data): the care team only, never researchers.
    "clients.view": _CARE_TEAM,
    "clients.edit": _CARE_TEAM,
    "clients.archive": frozenset({Role.OWNER, Role.CLINICIAN}),
    "clients.history": frozenset({Role.OWNER, Role.CLINICIAN}),
    # Questionnaires: giving them, reading scores and progress, sending portal links.
    "measures.give": _CARE_TEAM,
    # Scores, answers and progress are clinical information: not for the front desk, who
    # hand out questionnaires and links but never read the answers.
    "measures.view": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST}),
    # Messages to clients (reminders, questionnaire links) and alert notices to staff: they
    # carry no clinical content, so the whole care team sees what was sent and whether it went.
    "messages.view": _CARE_TEAM,
    # Risk alerts: the whole care team sees that one is open and who handles it.
    "alerts.view": _CARE_TEAM,
    # The clinical record of care (intake, medications, screens, episodes, visit notes):
    # the people who treat. Front desk sees the screen's result on client pages only.
    "care.view": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST}),
    "care.edit": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST}),
    # The calendar: the whole care team sees it and books, moves, cancels, checks in and
    # records no-shows (front desk included: the calendar shows no scores, notes or
    # diagnoses, and checking in creates the visit without showing its notes).
    "schedule.view": _CARE_TEAM,
    "schedule.book": _CARE_TEAM,
    # Licensed work: diagnoses and the handling of risk alerts.
    "diagnoses.view": frozenset({Role.CLINICIAN}),
    "diagnoses.edit": frozenset({Role.CLINICIAN}),
    "alerts.handle": frozenset({Role.CLINICIAN}),
    # Running the clinic.
    "staff.manage": frozenset({Role.OWNER}),
    "clinic.settings": frozenset({Role.OWNER}),
    # Licensed instrument texts (with their attestation) and the clinic's own questionnaires.
    "instruments.manage": frozenset({Role.OWNER}),
    # Who is on call for risk alerts, and in which order.
    "oncall.manage": frozenset({Role.OWNER}),
    "audit.view": frozenset({Role.OWNER}),
    # The background jobs page (what the worker ran, failed, will retry): no client data.
    "jobs.view": frozenset({Role.OWNER}),
    # The body's side (biomarkers, HRV, sleep, wearables): the people who treat.
    "physiology.view": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST}),
    "physiology.edit": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST}),
    # Clinic-level body-and-mind associations (researchers: small cells suppressed).
    "physiology.aggregates": frozenset({Role.OWNER, Role.CLINICIAN, Role.RESEARCHER}),
    # Reports and exchange (reports, interop): progress reports and FHIR exchange for the
    # people who treat (diagnoses only appear for clinicians); superbills carry diagnoses, so
    # licensed clinicians; payer reports and the de-identified research export, the owner.
    "reports.progress": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST}),
    "reports.superbill": frozenset({Role.CLINICIAN}),
    "reports.payer": frozenset({Role.OWNER, Role.CLINICIAN}),
    "interop.fhir": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST}),
    "interop.research_export": frozenset({Role.OWNER}),
    # De-identified aggregates.
    "research.aggregates": frozenset({Role.OWNER, Role.RESEARCHER}),
    # The clinic outcomes dashboard with its "not on track" list (client names).
    "outcomes.view": frozenset({Role.OWNER, Role.CLINICIAN}),
    # Money (billing): the front desk and the owner see a client's account (balance, charges,
    # payments, packages, tier) and take payments, assess tiers, sell packages and print
    # receipts; none of it shows notes, scores or diagnoses. Reversals and write-offs are
    # the owner's; so are the fee schedule, the tiers, the packages on sale and the money
    # reports. Those who treat see the charges of their own visits.
    "billing.view": frozenset({Role.OWNER, Role.FRONT_DESK}),
    "billing.take": frozenset({Role.OWNER, Role.FRONT_DESK}),
    "billing.correct": frozenset({Role.OWNER}),
    "billing.fees": frozenset({Role.OWNER}),
    "billing.reports": frozenset({Role.OWNER}),
    "billing.own": frozenset({Role.CLINICIAN, Role.THERAPIST}),
    # Insurance (claims): the front desk and the owner keep clients' coverage, make claims,
    # print them (CMS-1500), send them (837P) and import remittances (835). A claim carries
    # the diagnosis codes the payer requires, on the claim documents only; the claims pages
    # show no notes, scores or diagnoses. Provider numbers and claim settings are the
    # owner's (clinic.settings).
    "claims.coverage": frozenset({Role.OWNER, Role.FRONT_DESK}),
    "claims.view": frozenset({Role.OWNER, Role.FRONT_DESK}),
    "claims.make": frozenset({Role.OWNER, Role.FRONT_DESK}),
    # The evidence library: every staff role reads it; owners add studies.
    "evidence.view": _EVERYONE,
    "evidence.edit": frozenset({Role.OWNER}),
    # Controlled studies (docs/trials.md). Every staff role but the front desk reads the
    # registered protocols and the counts; the people who treat see who is enrolled and in
    # which arm (once allocated); owners and clinicians design and register; licensed
    # clinicians assess and enrol (the arm appears only after enrolment); the results go to
    # owners and researchers, not to those who enrol, so interim results cannot steer who is
    # enrolled next.
    "trials.view": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST, Role.RESEARCHER}),
    "trials.enrolments": frozenset({Role.OWNER, Role.CLINICIAN, Role.THERAPIST}),
    "trials.design": frozenset({Role.OWNER, Role.CLINICIAN}),
    "trials.enrol": frozenset({Role.CLINICIAN}),
    "trials.results": frozenset({Role.OWNER, Role.RESEARCHER}),
    # Everyone manages their own login, two-factor devices and API tokens.
    "account.self": _EVERYONE,
}


def roles_with(permission: str) -> frozenset[Role]:
    """The roles that hold ``permission``: for queries that ask who did something with the
    standing it needs (e.g. diagnoses entered by someone who may enter them)."""
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}; add it to accounts.roles") from None


def role_has(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission``; an unknown permission is a programming error."""
    try:
        allowed = PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}; add it to accounts.roles") from None
    return role in allowed
