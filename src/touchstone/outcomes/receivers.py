"""Keep ``outcomes.summaries`` current: every completed score and episode change rewrites that
client's rows of the home page's lists in the write's own transaction, every clinical write
counts one change of the clinic (so the dashboard knows its stored report is out of date; a
client's edit counts too: the identified report names clients, the measures read their age), a
refitted trajectory model rewrites the clinic's "not on track" list (an entered licensed text
or a custom instrument counts too: it changes what can fall due), and a clinic that chooses
other change criteria gets its lists rebuilt under them.

Receivers rather than calls in the actions: the writes happen in apps below this one (care,
measures), which may not import it (docs/architecture.md, the layer map). Bulk inserts send
no signal: whoever bulk-inserts clinical rows rebuilds the lists (``summaries.refresh_lists``,
as the demo does) or leaves it to ``touchstone refresh-summaries``.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from touchstone.accounts.models import Clinic
from touchstone.care.models import Diagnosis, Episode, Visit
from touchstone.clients.models import Client
from touchstone.instruments.models import CustomInstrument, InstrumentText
from touchstone.measures.models import Administration, Status
from touchstone.outcomes.models import TrajectoryFit


def _summaries() -> Any:
    """touchstone.outcomes.summaries, imported on the first write rather than at start-up:
    it brings pandas and scipy, which a ``touchstone`` command that writes no score should
    not pay for (issue 11 §2, CLI start-up)."""
    from touchstone.outcomes import summaries

    return summaries


@receiver(post_save, sender=Clinic, dispatch_uid="summaries_clinic")
def _clinic_created(
    sender: Any, instance: Clinic, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    if created:
        _summaries().start_summaries(instance)  # nothing to list yet: the lists are current
    else:
        _summaries().clinic_saved(instance)  # new change criteria: the lists are rejudged


@receiver(post_save, sender=Administration, dispatch_uid="summaries_score")
def _score_saved(sender: Any, instance: Administration, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.status != Status.COMPLETED:
        return  # answers saved part-way change no list and no report
    _summaries().note_change(instance.clinic_id)
    _summaries().client_changed(instance.clinic, instance.client_id)


@receiver(post_save, sender=Episode, dispatch_uid="summaries_episode")
def _episode_saved(sender: Any, instance: Episode, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    _summaries().note_change(instance.clinic_id)
    _summaries().client_changed(instance.clinic, instance.client_id)


@receiver(post_save, sender=Client, dispatch_uid="summaries_client")
def _client_saved(
    sender: Any, instance: Client, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and not created:  # a new client has no score to report yet
        _summaries().note_change(instance.clinic_id)


@receiver(post_save, sender=Visit, dispatch_uid="summaries_visit")
@receiver(post_save, sender=Diagnosis, dispatch_uid="summaries_diagnosis")
@receiver(post_save, sender=InstrumentText, dispatch_uid="summaries_instrument_text")
@receiver(post_save, sender=CustomInstrument, dispatch_uid="summaries_custom_instrument")
def _counted(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _summaries().note_change(instance.clinic_id)


@receiver(post_save, sender=TrajectoryFit, dispatch_uid="summaries_fit")
def _refitted(sender: Any, instance: TrajectoryFit, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _summaries().refresh_off_track(instance.clinic)
