"""Writes of controlled studies: design, registration, amendments, consent texts, screening
and enrolment with concealed allocation. Each takes an ``Actor``, runs in one transaction and
records its audit event (identifiers and field names only)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from touchstone.audit import writes
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.care.actions import do_update_episode
from touchstone.care.models import Episode
from touchstone.clients.models import Client
from touchstone.instruments.catalogue import short_name
from touchstone.science.trials import allocation, new_seed, seed_commitment, stratum_label
from touchstone.trials import protocol as proto
from touchstone.trials.models import (
    AllocationSeal,
    ConsentText,
    ControlledStudy,
    Enrolment,
    ExclusionReason,
    ProtocolVersion,
    Screening,
    Status,
    sha256_of,
)
from touchstone.trials.selectors import primary_scores


def _designer(actor: Actor, what: str) -> Any:
    member = actor.staff
    if not member.can("trials.design"):
        raise PermissionError(f"only staff who design studies may {what}")
    return member


def do_create_study(actor: Actor, data: dict[str, Any]) -> ControlledStudy:
    """A draft study from the protocol form's cleaned data."""
    member = _designer(actor, "create a study")
    content = proto.build_protocol(data)
    study = ControlledStudy(clinic_id=member.clinic_id, created_by=member)
    return writes.create(
        actor,
        study,
        {"title": content["title"], "design": content["design"], "draft": content},
        fields=["title", "design", "draft"],
        exclude=["clinic", "created_by"],
    )


def do_change_protocol(
    actor: Actor, study: ControlledStudy, data: dict[str, Any], reason: str = ""
) -> ProtocolVersion | None:
    """Edit the draft, or, once registered, add a numbered amendment (with ``reason``).

    Returns the new version for an amendment, None for a draft edit. The randomisation
    (ratio, blocks, strata, seed) cannot be amended: the sequence in use depends on it.
    """
    member = _designer(actor, "change a protocol")
    content = proto.build_protocol(data)
    if study.status == Status.DRAFT:
        writes.update(
            actor,
            study,
            {"title": content["title"], "design": content["design"], "draft": content},
            fields=["title", "design", "draft"],
            exclude=["clinic", "created_by"],
        )
        return None
    if not reason.strip():
        raise ValidationError("Give the reason for the amendment.")
    with transaction.atomic():
        latest = ProtocolVersion.objects.select_for_update().filter(study=study).last()
        assert latest is not None
        content["randomisation"]["seed_sha256"] = latest.content["randomisation"]["seed_sha256"]
        if content["design"] != latest.content["design"] or any(
            content["randomisation"][k] != latest.content["randomisation"][k]
            for k in proto.RANDOMISATION_KEYS
        ):
            raise ValidationError(
                "The design and the randomisation (ratio, block sizes, strata) cannot be "
                "amended: the allocation sequence in use depends on them."
            )
        changed = proto.changed_keys(latest.content, content)
        if not changed:
            raise ValidationError("Nothing differs from the registered protocol.")
        version = ProtocolVersion(
            clinic_id=study.clinic_id,
            study=study,
            number=latest.number + 1,
            content=content,
            sha256=sha256_of(content),
            reason=reason.strip(),
            created_by=member,
        )
        writes.save(actor, version, Action.CREATE, detail=f"amended: {', '.join(changed)}")
        if study.title != content["title"]:
            study.title = content["title"]
            study.save(update_fields=["title"])
        return version


def do_add_consent_text(actor: Actor, study: ControlledStudy, text: str) -> ConsentText:
    """A new version of the study's consent text (earlier versions stay as they were)."""
    member = _designer(actor, "write consent texts")
    if study.status == Status.CLOSED:
        raise ValidationError("The study is closed.")
    with transaction.atomic():
        last = ConsentText.objects.select_for_update().filter(study=study).first()
        consent = ConsentText(
            clinic_id=study.clinic_id,
            study=study,
            version=(last.version + 1) if last else 1,
            text=text,
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            created_by=member,
        )
        return writes.create(
            actor, consent, {}, fields=[], exclude=["clinic", "study", "created_by"]
        )


def do_register_study(
    actor: Actor, study: ControlledStudy, *, seed: bytes | None = None
) -> ProtocolVersion:
    """Freeze the draft as protocol version 1 with its hash, and seal a new seed; from now
    on clients can be enrolled. Needs a consent text.

    ``seed`` is for the synthetic demo only (a reproducible demo study); every real study
    takes a fresh seed from the operating system's CSPRNG."""
    member = _designer(actor, "register a study")
    with transaction.atomic():
        locked = ControlledStudy.objects.select_for_update().get(pk=study.pk)
        if locked.status != Status.DRAFT:
            raise ValidationError("The study is already registered.")
        if not ConsentText.objects.filter(study=study).exists():
            raise ValidationError("Write the consent text before registering.")
        seed = seed or new_seed()
        AllocationSeal.objects.create(clinic_id=study.clinic_id, study=study, seed_hex=seed.hex())
        content = dict(locked.draft)
        content["randomisation"] = {
            **content["randomisation"],
            "seed_sha256": seed_commitment(seed),
        }
        version = ProtocolVersion(
            clinic_id=study.clinic_id,
            study=study,
            number=1,
            content=content,
            sha256=sha256_of(content),
            created_by=member,
        )
        writes.save(actor, version, Action.CREATE, detail="registered")
        study.draft = locked.draft
        study.status, study.registered_at = Status.REGISTERED, timezone.now()
        writes.save(
            actor,
            study,
            Action.UPDATE,
            update_fields=["status", "registered_at"],
            detail="fields: status, registered_at",
        )
        return version


def do_close_study(actor: Actor, study: ControlledStudy) -> None:
    _designer(actor, "close a study")
    if study.status != Status.REGISTERED:
        raise ValidationError("Only a registered study can be closed to enrolment.")
    study.status = Status.CLOSED
    writes.save(actor, study, Action.UPDATE, update_fields=["status"], detail="fields: status")


def current_protocol(study: ControlledStudy) -> ProtocolVersion:
    version = ProtocolVersion.objects.filter(study=study).order_by("-number").first()
    if version is None:
        raise ValidationError("The study is not registered yet.")
    return version


def do_enrol_client(
    actor: Actor,
    study: ControlledStudy,
    client: Client,
    *,
    eligible: bool,
    consented: bool,
    consented_on: dt.date | None = None,
    exclusion_reason: str = "",
    at: dt.datetime | None = None,
) -> Screening | Enrolment:
    """Record the eligibility assessment; an eligible client who consented is randomised.

    Returns the ``Screening`` when the client is excluded (not eligible, declined or other)
    and the ``Enrolment`` when randomised. The arm is computed here, inside the transaction
    that stores it, from the sealed seed and the client's place in their stratum: it exists
    nowhere before the client is enrolled.

    ``at`` (default now) dates the assessment and enrolment: the synthetic demo's history
    only; pages and commands never pass it.
    """
    member = actor.staff
    if not member.can("trials.enrol"):
        raise PermissionError("only staff who enrol may enrol clients")
    if study.status != Status.REGISTERED:
        raise ValidationError("Clients are enrolled only while the study is registered and open.")
    if client.clinic_id != study.clinic_id or client.archived_at is not None:
        raise ValidationError("This client cannot be enrolled.")
    if Screening.objects.filter(study=study, client=client).exists():
        raise ValidationError("This client was already assessed for this study.")
    randomise = eligible and consented
    if not randomise:
        exclusion_reason = exclusion_reason or (
            ExclusionReason.NOT_ELIGIBLE if not eligible else ExclusionReason.DECLINED
        )
    elif exclusion_reason:
        raise ValidationError("An exclusion reason is only for clients who are not enrolled.")
    with transaction.atomic():
        protocol = current_protocol(study).content
        plan = protocol["primary_outcome"]
        now = at or timezone.now()
        stratum = "all"
        if randomise:
            scores = primary_scores(study, [client.pk], plan["instrument_id"]).get(client.pk, [])
            earliest = now - dt.timedelta(days=plan["baseline_days"])
            before = [(t, v) for t, v in scores if earliest <= t <= now]
            if not before:
                raise ValidationError(
                    f"Record a baseline {short_name(plan['instrument_id'])} within "
                    f"{plan['baseline_days']} days before enrolling."
                )
            cut = protocol["randomisation"]["stratify_baseline_at"]
            if cut is not None:
                baseline = max(before, key=lambda s: s[0])[1]
                stratum = stratum_label({"baseline": "high" if baseline >= cut else "low"})
        screening = Screening(
            clinic_id=study.clinic_id,
            study=study,
            client=client,
            screened_by=member,
            screened_at=now,
        )
        writes.create(
            actor,
            screening,
            {"eligible": eligible, "exclusion_reason": exclusion_reason},
            fields=["eligible", "exclusion_reason"],
            exclude=["clinic", "client", "study", "screened_by"],
            detail="assessed for eligibility",
        )
        if not randomise:
            return screening
        consent = ConsentText.objects.filter(study=study).first()
        if consent is None or consented_on is None:
            raise ValidationError("Consent (to the current consent text) and its date are needed.")
        seal = AllocationSeal.objects.select_for_update().get(study=study)
        position = Enrolment.objects.filter(study=study, stratum=stratum).count()
        r = protocol["randomisation"]
        arm = allocation(
            bytes.fromhex(seal.seed_hex), stratum, position, r["ratio"], r["block_multipliers"]
        )
        episode = (
            Episode.objects.filter(client=client, ended_on__isnull=True)
            .order_by("-started_on", "-id")
            .first()
        )
        enrolment = Enrolment(
            clinic_id=study.clinic_id,
            study=study,
            client=client,
            screening=screening,
            consent=consent,
            consented_on=consented_on,
            episode=episode,
            stratum=stratum,
            position=position,
            arm=arm,
            enrolled_by=member,
            enrolled_at=now,
        )
        try:
            with transaction.atomic():
                writes.create(
                    actor,
                    enrolment,
                    {},
                    fields=[],
                    exclude=[
                        "clinic",
                        "client",
                        "study",
                        "screening",
                        "consent",
                        "episode",
                        "enrolled_by",
                    ],
                    detail=f"randomised; consent v{consent.version}",
                )
        except IntegrityError:
            raise ValidationError("Another enrolment took this place; try again.") from None
        if episode is not None:
            _plan_follow_up(actor, episode, plan)
        return enrolment


def _plan_follow_up(actor: Actor, episode: Episode, plan: dict[str, Any]) -> None:
    """Put the primary outcome in the episode's measurement plan, often enough that a score
    falls inside the follow-up window (``care.plans.instruments_due`` then makes it due)."""
    periodic = list(episode.plan_periodic or [])
    if plan["instrument_id"] not in periodic:
        periodic.append(plan["instrument_id"])
    every = episode.plan_every_weeks
    window_weeks = max(1, (2 * plan["window_days"]) // 7)
    if every is None or every > window_weeks:
        every = min(window_weeks, plan["weeks"])
    do_update_episode(actor, episode, {"plan_periodic": periodic, "plan_every_weeks": every})


def do_record_receipt(
    actor: Actor, enrolment: Enrolment, received: bool, not_received_reason: str
) -> list[str]:
    """Whether the client received the allocated care (CONSORT allocation box)."""
    if not actor.staff.can("trials.enrol"):
        raise PermissionError("only staff who enrol may record this")
    if received:
        not_received_reason = ""
    elif not not_received_reason.strip():
        raise ValidationError("Say why the allocated care was not received.")
    return writes.update(
        actor,
        enrolment,
        {"received": received, "not_received_reason": not_received_reason.strip()},
        fields=["received", "not_received_reason"],
        exclude=["clinic", "client", "study", "screening", "consent", "episode", "enrolled_by"],
    )


def record_read(actor: Actor, obj: Any, detail: str = "") -> None:
    record(actor, Action.READ, obj, detail=detail)
