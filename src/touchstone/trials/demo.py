"""The demo clinic's randomised wait-list study, end to end: designed, registered (with a
consent text), 56 newly referred synthetic clients assessed and enrolled over four months,
allocated from the sealed sequence, followed up at eight weeks with the PHQ-9, two
immediate-arm clients who did not start, and some loss to follow-up. Deterministic for the
demo seed (the randomisation seed too, which only the synthetic demo fixes)."""

from __future__ import annotations

import datetime as dt
import hashlib

from simple_history.utils import bulk_create_with_history

from touchstone.accounts.roles import Role
from touchstone.audit.actor import Actor
from touchstone.clients.demo import DemoContext, _client_rows, _faker
from touchstone.clients.models import Client
from touchstone.measures.demo import _administration, _items_for
from touchstone.measures.models import Administration
from touchstone.trials import actions
from touchstone.trials.models import Enrolment

#: How many demo clients the study assesses (at most; fewer in a smaller demo).
ASSESSED = 56
DEMO_PROTOCOL = {
    "title": "Weekly massage for low mood: randomised wait-list study (demo)",
    "design": "waitlist",
    "question": "In adults with at least moderate depressive symptoms, does starting weekly "
    "massage at once lower the PHQ-9 at 8 weeks compared with waiting 8 weeks?",
    "eligibility": "Adults with PHQ-9 of 10 or more at baseline; no contraindication needing "
    "medical clearance; able to attend weekly.",
    "control_label": "Wait-list (massage starts after week 8)",
    "intervention_label": "Immediate weekly massage",
    "instrument_id": "phq9",
    "weeks": 8,
    "window_days": 14,
    "baseline_days": 30,
    "ratio": "1:1",
    "block_multipliers": "1,2,3",
    "stratify_baseline_at": None,
    "difference": 3.0,
    "sd": 5.0,
    "alpha": 0.05,
    "power": 0.8,
    "correlation": 0.5,
    "dropout": 0.15,
    "analysis_notes": "Synthetic demo data.",
}
CONSENT = (
    "I agree to take part in this study of massage for low mood. I will be allocated at "
    "random to start weekly massage now or after eight weeks. I will fill in the PHQ-9 at the "
    "start and after eight weeks. I may leave the study at any time without any effect on "
    "my care. My answers are used for the study only without my name."
)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def add_controlled_study(ctx: DemoContext) -> None:
    if not ctx.last:
        return  # one study, after the last batch of clients (the demo builds in batches)
    rng = ctx.rng
    clinic = ctx.clinic
    owner = Actor.of_member(ctx.staff[Role.OWNER], "cli")
    clinician_member = ctx.staff[Role.CLINICIAN]
    clinician = Actor.of_member(clinician_member, "cli")
    study = actions.do_create_study(owner, DEMO_PROTOCOL)
    actions.do_add_consent_text(owner, study, CONSENT)
    demo_seed = hashlib.sha256(f"touchstone-demo-study/{rng.random()!r}".encode()).digest()
    actions.do_register_study(owner, study, seed=demo_seed)
    start = ctx.today - dt.timedelta(weeks=26)
    # Clients referred for the study: new synthetic clients, so that none of the demo's
    # routine questionnaires falls in a study window.
    seed = rng.randint(1, 10**6)
    rows = list(_client_rows(_faker(seed), clinic, ASSESSED, seed, ctx.today))
    for row in rows:
        row.consent_to_treatment_on = start - dt.timedelta(days=rng.randint(1, 60))
        row.research_consent_on = row.consent_to_treatment_on if row.research_consent else None
    bulk_create_with_history(rows, Client, default_user=clinician_member.user)
    candidates = list(Client.objects.filter(clinic=clinic).order_by("-pk")[:ASSESSED])[::-1]
    scores: list[Administration] = []
    for i, client in enumerate(candidates):
        day = start + dt.timedelta(days=2 * i + rng.randint(0, 1))
        enrolled_at = _at(day, 11)
        baseline = rng.randint(10, 24)
        exclusion = "not_eligible" if i % 11 == 5 else "declined" if i % 13 == 7 else ""
        if exclusion:
            actions.do_enrol_client(
                clinician,
                study,
                client,
                eligible=exclusion == "declined",
                consented=False,
                exclusion_reason=exclusion,
                at=enrolled_at,
            )
            continue
        values = [*_items_for(baseline, 8, 3, rng), 0]  # item 9 (risk) stays 0 in the demo
        admin = _administration(clinic, client, "phq9", values, _at(day, 9), clinician_member)
        admin.save()
        enrolment = actions.do_enrol_client(
            clinician,
            study,
            client,
            eligible=True,
            consented=True,
            consented_on=day,
            at=enrolled_at,
        )
        assert isinstance(enrolment, Enrolment)
        if rng.random() < 0.14:  # lost to follow-up
            continue
        mean = 0.6 * baseline + 4.0 - (4.0 if enrolment.arm == 1 else 0.0)
        follow = max(0, min(24, round(rng.gauss(mean, 3.2))))
        when = _at(day + dt.timedelta(weeks=8, days=rng.randint(-6, 6)), 10)
        scores.append(
            _administration(
                clinic, client, "phq9", [*_items_for(follow, 8, 3, rng), 0], when, clinician_member
            )
        )
    bulk_create_with_history(scores, Administration, default_user=clinician_member.user)
    for enrolment in Enrolment.objects.filter(study=study, arm=1).order_by("position")[:2]:
        actions.do_record_receipt(clinician, enrolment, False, "could not attend weekly")
