"""Session ratings move into their one home, the visit (migration ``care.0003``).

The five 0-10 ratings existed twice: as ``Visit.<name>_before/_after`` and as ``rating-<name>``
questionnaires. The visit is the source of truth (docs/architecture.md, "Session ratings: one
source"). :func:`move_session_ratings` copies each completed ``rating-*`` administration into
the matching visit, then takes the retired questionnaires out of the episodes' plans:

* the matching visit is the client's visit (not cancelled) on the same calendar day in the
  clinic's time zone, the nearest in time when there are several; a rating completed before
  the visit's midpoint is a *before* rating, after it an *after* rating;
* a visit's own value is never overwritten (the therapist's entry wins); a rating without a
  matching visit, or whose slot is taken, stays where it was;
* every changed visit and episode gets a history row (reason: the move), as every edit does;
* the administrations themselves stay, readable in the client's list of administrations,
  so nothing that was given is lost; no page charts them any more.

Written against the ``apps`` registry a migration passes (historical models), so the tests
can run it on today's models too.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import timezone

RATINGS = ("tension", "anxiety", "mood", "pain", "relaxation")
REASON = "Session rating moved from its questionnaire to the visit"


def _history(model: Any, historical: Any, row: Any, now: dt.datetime) -> None:
    values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
    historical.objects.create(
        **values, history_date=now, history_type="~", history_change_reason=REASON
    )


def move_session_ratings(apps: Any, schema_editor: Any = None) -> dict[str, int]:
    """Copy ``rating-*`` answers into visits; returns counts (moved, kept, plans)."""
    administration_model = apps.get_model("measures", "Administration")
    visit_model = apps.get_model("care", "Visit")
    episode_model = apps.get_model("care", "Episode")
    clinic_model = apps.get_model("accounts", "Clinic")
    historical_visit = apps.get_model("care", "HistoricalVisit")
    historical_episode = apps.get_model("care", "HistoricalEpisode")
    now = timezone.now()
    zones = {
        pk: zoneinfo.ZoneInfo(tz) for pk, tz in clinic_model.objects.values_list("pk", "time_zone")
    }
    ids = [f"rating-{name}" for name in RATINGS]
    counts = {"moved": 0, "kept": 0, "plans": 0}
    rows = administration_model.objects.filter(
        instrument_id__in=ids, status="completed", total__isnull=False, completed_at__isnull=False
    ).order_by("completed_at", "pk")
    changed: dict[int, Any] = {}
    for a in rows.iterator():
        zone = zones[a.clinic_id]
        day = a.completed_at.astimezone(zone).date()
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        visits = [
            changed.get(v.pk, v)
            for v in visit_model.objects.filter(
                clinic_id=a.clinic_id,
                client_id=a.client_id,
                starts_at__gte=start,
                starts_at__lt=start + dt.timedelta(days=1),
            ).exclude(status="cancelled")
        ]
        if not visits:
            counts["kept"] += 1
            continue

        def midpoint(v: Any) -> dt.datetime:
            return v.starts_at + dt.timedelta(minutes=v.duration_min / 2)

        visit = min(visits, key=lambda v: (abs(midpoint(v) - a.completed_at), v.pk))
        moment = "before" if a.completed_at < midpoint(visit) else "after"
        field = f"{a.instrument_id.removeprefix('rating-')}_{moment}"
        if getattr(visit, field) is not None:
            counts["kept"] += 1
            continue
        setattr(visit, field, a.total)
        changed[visit.pk] = visit
        counts["moved"] += 1
    for visit in changed.values():
        fields = [f"{name}_{moment}" for name in RATINGS for moment in ("before", "after")]
        # update(), not save(): no signal, so the one history row is ours, in a migration
        # (historical models) and on today's models alike.
        visit_model.objects.filter(pk=visit.pk).update(**{f: getattr(visit, f) for f in fields})
        _history(visit_model, historical_visit, visit, now)
    plans = ("plan_intake", "plan_each_visit", "plan_periodic")
    for episode in episode_model.objects.all().iterator():
        if not any(set(getattr(episode, name) or []) & set(ids) for name in plans):
            continue
        for name in plans:
            setattr(episode, name, [i for i in getattr(episode, name) or [] if i not in ids])
        episode_model.objects.filter(pk=episode.pk).update(
            **{name: getattr(episode, name) for name in plans}
        )
        _history(episode_model, historical_episode, episode, now)
        counts["plans"] += 1
    return counts
