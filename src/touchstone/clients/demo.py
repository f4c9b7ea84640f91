"""The synthetic demo clinic: deterministic for a seed, clearly marked as synthetic.

Later capabilities add their own demo data through ``DEMO_EXTENSIONS`` (a list of
callables taking a :class:`DemoContext`: the clinic, the staff by role, the clients of one
batch and a seeded RNG).

The clients are built and committed in batches of :data:`BATCH` (each extension sees one
batch, ``first`` and ``last`` tell it whether to add the clinic-wide data too), so memory
stays bounded: about 180 KB per client was held for the whole clinic before (2.1 GB at
10,000 clients, issue 11 §2). Up to ``BATCH`` clients the demo is one batch, as before.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from tqdm import tqdm

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import Role
from touchstone.audit.actor import Actor
from touchstone.audit.log import record
from touchstone.audit.models import Action
from touchstone.clients.models import Client
from touchstone.lib.planner import refresh_planner_statistics

DEMO_SLUG = "demo"
#: Clients built, extended and committed together.
BATCH = 500
DEMO_STAFF = [
    ("olivia", "Olivia", "Owens", Role.OWNER),
    ("casey", "Casey", "Chen", Role.CLINICIAN),
    ("theo", "Theo", "Tran", Role.THERAPIST),
    ("fran", "Fran", "Fischer", Role.FRONT_DESK),
    ("riley", "Riley", "Reyes", Role.RESEARCHER),
]


@dataclass
class DemoContext:
    clinic: Clinic
    staff: dict[str, StaffMember]
    clients: list[Client]
    rng: random.Random
    today: dt.date
    #: This batch is the clinic's first / last: clinic-wide data is added once, there.
    first: bool = True
    last: bool = True
    #: Clients in the whole clinic (``clients`` holds this batch's).
    total: int = 0

    def client_range(self) -> dict[str, int]:
        """Filter keywords selecting this batch's clients' rows (a pk range, no IN-list)."""
        pks = [c.pk for c in self.clients]
        return {"client_id__gte": min(pks), "client_id__lte": max(pks)} if pks else {"pk": -1}

    @property
    def actor(self) -> Actor:
        """Who the audit log says built the demo: the command line, for the demo clinic."""
        return Actor.system("cli", self.clinic)


DEMO_EXTENSIONS: list[Callable[[DemoContext], None]] = []


class DemoUnavailable(RuntimeError):
    """The demo's optional dependency (Faker, the ``demo`` extra) is not installed."""


def _faker(seed: int) -> Any:
    try:
        # Optional: the "demo" extra, which `make run` installs and a production install skips.
        from faker import Faker
    except ImportError:
        raise DemoUnavailable(
            "the demo clinic needs Faker, from the demo extra: "
            "pip install -r requirements/demo-lock.txt (make run installs it)"
        ) from None
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def demo_exists() -> bool:
    return Clinic.objects.filter(slug=DEMO_SLUG).exists()


def _client_rows(fake: Any, clinic: Clinic, n: int, seed: int, today: dt.date) -> Iterator[Client]:
    rng = random.Random(seed)
    for _ in range(n):
        female = rng.random() < 0.72  # massage-therapy clients are mostly women
        given = fake.first_name_female() if female else fake.first_name_male()
        family = fake.last_name()
        age = rng.randint(19, 78)
        born = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        consent_on = today - dt.timedelta(days=rng.randint(7, 120))
        research = rng.random() < 0.6
        yield Client(
            clinic=clinic,
            given_name=given,
            family_name=family,
            preferred_name="",
            date_of_birth=born,
            email=f"{given}.{family}@example.com".lower().replace(" ", ""),
            phone=f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            address=fake.street_address(),
            city=fake.city(),
            postal_code=fake.postcode(),
            emergency_contact_name=fake.name(),
            emergency_contact_phone=f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            emergency_contact_relation=rng.choice(["partner", "parent", "sibling", "friend"]),
            consent_to_treatment=True,
            consent_to_treatment_on=consent_on,
            research_consent=research,
            research_consent_on=consent_on if research else None,
        )


def build_demo_clinic(
    seed: int = 1, n_clients: int = 200, today: dt.date | None = None, progress: bool = False
) -> DemoContext | None:
    """Create the demo clinic, or return None when it already exists (idempotent)."""
    if demo_exists():
        return None
    today = today or timezone.localdate()
    fake = _faker(seed)  # before anything is written: a missing extra leaves nothing behind
    user_model = get_user_model()
    with transaction.atomic():
        clinic = Clinic.objects.create(
            name="Stillwater Massage & Wellbeing (demo, synthetic data)",
            slug=DEMO_SLUG,
            is_synthetic=True,
        )
        staff: dict[str, StaffMember] = {}
        for username, first, last, role in DEMO_STAFF:
            user = user_model.objects.create_user(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.touchstone.invalid",
                password=settings.TOUCHSTONE_DEMO_PASSWORD,
            )
            staff[role] = StaffMember.objects.create(user=user, clinic=clinic, role=role)
    rows = _client_rows(fake, clinic, n_clients, seed, today)
    rng = random.Random(seed + 1)
    bar = tqdm(total=n_clients, desc="demo clients", disable=not progress, unit="client")
    context = DemoContext(clinic, staff, [], rng, today, total=n_clients)
    for start in range(0, max(n_clients, 1), BATCH):
        size = min(BATCH, n_clients - start)
        with transaction.atomic():
            for offset in range(0, size, 100):
                bulk_create_with_history(
                    [next(rows) for _ in range(min(100, size - offset))],
                    Client,
                    default_user=staff[Role.FRONT_DESK].user,
                )
            batch = list(Client.objects.filter(clinic=clinic).order_by("pk")[start : start + size])
            context = DemoContext(
                clinic,
                staff,
                batch,
                rng,
                today,
                first=start == 0,
                last=start + BATCH >= n_clients,
                total=n_clients,
            )
            for extend in DEMO_EXTENSIONS:
                extend(context)
            if context.last:
                record(context.actor, Action.CREATE, clinic, detail=f"demo clinic, seed {seed}")
        bar.update(size)
    bar.close()
    refresh_planner_statistics()  # as touchstone refresh-summaries does (lib/planner.py)
    return context


def demo_logins() -> list[dict[str, Any]]:
    return [
        {
            "username": username,
            "role": str(role.label),
            "password": settings.TOUCHSTONE_DEMO_PASSWORD,
        }
        for username, _, _, role in DEMO_STAFF
    ]
