"""A stepped-wedge study across the clinics of a research network (issue 16 §2 and §4).

The coordinator of a network **registers** the study before it starts (:func:`register`):
a draft (clinics, number of periods, period length, primary outcome and time point, the inputs
of the power calculation, notes on the analysis) becomes the protocol, with the power from
Hussey & Hughes' closed form (``science.trials.stepped_wedge.power``) and the SHA-256 of a
fresh 32-byte seed; the protocol is frozen as ``protocol.json`` with the SHA-256 of its
canonical JSON (``science.registration``, the clinic studies' hash), and the seed is
sealed apart in ``seal.json`` (readable by the coordinator's account only). A protocol is
never edited: a changed study is a new registration.

**Allocation concealment.** Which clinic crosses to the intervention at which step is
``science.trials.stepped_wedge.schedule(seed, clinics, periods)``, a pure function of the
sealed seed. Nothing stores it. :func:`reveal` tells a clinic its step only once that step is
near (``notice_days`` before its period starts, pre-specified in the protocol), and records
every reveal in ``reveals.jsonl``; until then, the clinic (and everyone else) knows only that
it has not crossed yet. The full schedule is unsealed for the analysis only after the last
period has ended (:meth:`Study.schedule`).

**Which period an episode belongs to** (no re-identification needed): the clinic's own
Touchstone, which holds the real dates, writes the ``study_periods`` table of its research
export (schema version 6): for every episode that started within the study's calendar, the
period it started in (:meth:`Study.period_of`), under the protocol's SHA-256 (the export's
manifest ``studies``). The coordinator could not derive it: a Safe Harbor export's day counts
start at each client's own first episode, and the limited data set's dates are shifted per
client. A period is a date element finer than the year, which HIPAA's Safe Harbor rule does
not allow, so the table is written in the limited data set mode only (under the network's
data use agreement); docs/network.md.

**Analysis** (:func:`study_section`, on either engine): every episode of a taking-part clinic
that started within the study (exposure at the start of care: the clinic's condition in that
period) with a score of the primary instrument within ``window_days`` of ``weeks`` after its
start (the nearest; the earlier on a tie) enters the pre-specified Hussey & Hughes model
``score ~ factor(period) + treated + (1 | clinic)`` by REML
(``science.trials.stepped_wedge.analyse``, equal to R's ``lmer`` to 1e-6), with a Wald 95% CI.
The engines return the rows (clinic, period, episode, dates, score); the choice of the score
and the model run in Python on rows sorted by a total order, so DuckDB and Spark give
identical results.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from touchstone.science.network import queries
from touchstone.science.network.engines import Engine
from touchstone.science.network.inputs import Network, NetworkInputError
from touchstone.science.registration import sha256_of
from touchstone.science.trials import stepped_wedge as sw
from touchstone.science.trials.randomisation import new_seed, seed_commitment

SCHEMA = "touchstone-network-stepped-wedge/1"
PROTOCOL = "protocol.json"
SEAL = "seal.json"
REVEALS = "reveals.jsonl"
#: The primary outcomes the network reads (and checks the range of).
INSTRUMENTS = ("phq9", "gad7")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
RANDOMISATION_METHOD = (
    "Clinics shuffled by Fisher-Yates with an HMAC-SHA256 counter-mode stream keyed by a "
    "sealed 32-byte seed from the operating system's CSPRNG (stream 'stepped-wedge'), then "
    "dealt in turn to the steps (science.trials.stepped_wedge.schedule)"
)
MODEL = "score ~ factor(period) + treated + (1 | clinic), REML; Wald 95% CI (Hussey & Hughes 2007)"


def today() -> dt.date:
    """Today in UTC: the day the coordinator's commands judge the calendar by."""
    return dt.datetime.now(dt.UTC).date()


class StudyError(ValueError):
    """A draft, a study directory or a request that cannot be accepted; says why."""


def _int(draft: Mapping[str, Any], key: str, low: int, what: str) -> int:
    value = draft.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise StudyError(f"{what} ({key}): a whole number of at least {low}, not {value!r}")
    return value


def _number(draft: Mapping[str, Any], key: str, what: str) -> float:
    value = draft.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise StudyError(f"{what} ({key}): a number, not {value!r}")
    return float(value)


def _text(draft: Mapping[str, Any], key: str, what: str) -> str:
    value = draft.get(key)
    if not isinstance(value, str) or not value.strip():
        raise StudyError(f"{what} ({key}): required text")
    return value.strip()


def build_protocol(draft: Mapping[str, Any], seed_sha256: str) -> dict[str, Any]:
    """The protocol's content from a draft (see docs/network.md for the fields).

    Raises
    ------
    StudyError
        On the first field that is missing or out of range, naming it.
    """
    if not isinstance(draft, Mapping):
        raise StudyError("the draft is a JSON object")
    study_id = draft.get("id")
    if not isinstance(study_id, str) or not _ID.match(study_id):
        raise StudyError(
            f"id: 1-40 lower-case letters, digits and '-', starting with a letter or digit, "
            f"not {study_id!r}"
        )
    clinics = draft.get("clinics")
    if not isinstance(clinics, list) or not all(isinstance(c, str) and c for c in clinics):
        raise StudyError("clinics: a list of the clinics' names (their export directories)")
    if len(set(clinics)) != len(clinics):
        raise StudyError("clinics: each clinic once")
    periods = _int(draft, "periods", 2, "Number of periods")
    if len(clinics) < max(2, periods - 1):
        raise StudyError(
            f"clinics: {periods - 1} steps need at least {max(2, periods - 1)} clinics, "
            f"not {len(clinics)}"
        )
    try:
        start = dt.date.fromisoformat(str(draft.get("start")))
    except ValueError:
        raise StudyError(f"start: a date (YYYY-MM-DD), not {draft.get('start')!r}") from None
    period_days = _int(draft, "period_days", 7, "Period length in days")
    notice_days = _int({"notice_days": draft.get("notice_days", 14)}, "notice_days", 0,
                       "Days a clinic learns its step before it")  # fmt: skip
    outcome = draft.get("primary_outcome")
    if not isinstance(outcome, Mapping):
        raise StudyError("primary_outcome: {instrument_id, weeks, window_days}")
    instrument_id = outcome.get("instrument_id")
    if instrument_id not in INSTRUMENTS:
        raise StudyError(
            f"primary_outcome.instrument_id: one of {', '.join(INSTRUMENTS)}, not {instrument_id!r}"
        )
    weeks = _int(outcome, "weeks", 1, "primary_outcome: time point in weeks")
    window = _int(outcome, "window_days", 0, "primary_outcome: window in days")
    if window >= 7 * weeks:
        raise StudyError("primary_outcome.window_days: shorter than the time point")
    inputs = draft.get("power")
    if not isinstance(inputs, Mapping):
        raise StudyError("power: {clients_per_clinic_period, difference, sigma, icc[, alpha]}")
    try:
        power = sw.power(
            len(clinics),
            periods,
            _int(inputs, "clients_per_clinic_period", 1, "power: clients per clinic and period"),
            _number(inputs, "difference", "power: difference to detect"),
            _number(inputs, "sigma", "power: SD of the score"),
            _number(inputs, "icc", "power: intra-clinic correlation"),
            alpha=_number({"alpha": inputs.get("alpha", 0.05)}, "alpha", "power: alpha"),
        )
    except ValueError as error:
        raise StudyError(f"power: {error}") from None
    return {
        "schema": SCHEMA,
        "id": study_id,
        "title": _text(draft, "title", "Title"),
        "question": _text(draft, "question", "Question"),
        "design": "stepped-wedge cluster randomised (clinic as the cluster), closed cohort of "
        "clinics, continuous recruitment of episodes",
        "clinics": sorted(clinics),
        "calendar": {
            "start": start.isoformat(),
            "periods": periods,
            "period_days": period_days,
            "notice_days": notice_days,
            "end": (start + dt.timedelta(days=periods * period_days - 1)).isoformat(),
        },
        "primary_outcome": {
            "instrument_id": instrument_id,
            "weeks": weeks,
            "window_days": window,
        },
        "power": power.to_dict(),
        "randomisation": {"method": RANDOMISATION_METHOD, "seed_sha256": seed_sha256},
        "analysis": {
            "population": "every episode of a taking-part clinic that started within the "
            "study's calendar, in the condition of its clinic in the period it started "
            "(intention to treat at the clinic level)",
            "outcome": f"the {instrument_id} score nearest {weeks} weeks after the episode's "
            f"start within ± {window} days (the earlier on a tie)",
            "model": MODEL,
            "missing_data": "episodes without a score in the window are left out (complete "
            "cases), counted per clinic and period",
            "level": sw.LEVEL,
            "notes": str(draft.get("analysis_notes", "")),
        },
    }


@dataclass(frozen=True)
class Study:
    """A registered study: its directory, protocol content and the content's SHA-256."""

    directory: Path
    content: dict[str, Any]
    sha256: str
    registered_at: str

    @property
    def id(self) -> str:
        return str(self.content["id"])

    @property
    def clinics(self) -> list[str]:
        return list(self.content["clinics"])

    @property
    def periods(self) -> int:
        return int(self.content["calendar"]["periods"])

    @property
    def start(self) -> dt.date:
        return dt.date.fromisoformat(self.content["calendar"]["start"])

    @property
    def end(self) -> dt.date:
        """The last day of the last period."""
        return dt.date.fromisoformat(self.content["calendar"]["end"])

    def period_start(self, period: int) -> dt.date:
        return self.start + dt.timedelta(
            days=(period - 1) * self.content["calendar"]["period_days"]
        )

    def period_of(self, day: dt.date) -> int | None:
        """The period (1..T) ``day`` falls in; None before the start or after the end."""
        if day < self.start or day > self.end:
            return None
        return 1 + (day - self.start).days // int(self.content["calendar"]["period_days"])

    def _seed(self) -> bytes:
        try:
            seal = json.loads((self.directory / SEAL).read_text(encoding="utf-8"))
            seed = bytes.fromhex(seal["seed_hex"])
        except (OSError, ValueError, KeyError, TypeError):
            raise StudyError(f"{self.directory / SEAL}: missing or unreadable") from None
        if seed_commitment(seed) != self.content["randomisation"]["seed_sha256"]:
            raise StudyError(
                f"{self.directory / SEAL}: not the seed the protocol registered (SHA-256 differs)"
            )
        return seed

    def _full_schedule(self) -> dict[str, int]:
        return sw.schedule(self._seed(), self.clinics, self.periods)

    def schedule(self, today: dt.date) -> dict[str, int]:
        """The whole schedule (clinic -> the period it crosses over in), unsealed only after
        the last period has ended."""
        if today <= self.end:
            raise StudyError(
                f"study {self.id}: the schedule stays sealed until its last period ends "
                f"({self.end.isoformat()})"
            )
        return self._full_schedule()

    def reveal(self, on: dt.date, clinic: str | None = None) -> dict[str, int | None]:
        """The step of each clinic (or of ``clinic``) as far as it may be known on ``on``:
        its crossover period once ``on`` is at most ``notice_days`` before that period
        starts, else None. Every call is appended to ``reveals.jsonl``."""
        if clinic is not None and clinic not in self.clinics:
            raise StudyError(f"study {self.id}: clinic {clinic!r} does not take part")
        notice = dt.timedelta(days=int(self.content["calendar"]["notice_days"]))
        shown: dict[str, int | None] = {}
        for name, period in sorted(self._full_schedule().items()):
            if clinic is None or name == clinic:
                shown[name] = period if on >= self.period_start(period) - notice else None
        entry = {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "on": on.isoformat(),
            "revealed": {k: v for k, v in shown.items() if v},
        }
        with (self.directory / REVEALS).open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry, sort_keys=True) + "\n")
        return shown


def register(draft: Mapping[str, Any], out: Path, *, seed: bytes | None = None) -> Study:
    """Freeze ``draft`` as a registered study in the new directory ``out``: ``protocol.json``
    (content, SHA-256, registration time) and ``seal.json`` (the seed, owner-only). ``seed``
    is for synthetic networks only (a fresh CSPRNG seed otherwise). Written to a temporary
    directory renamed into place, so a failure leaves nothing."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise StudyError(f"{out}: not empty; a registered study is never overwritten")
    seed = new_seed() if seed is None else seed
    content = build_protocol(draft, seed_commitment(seed))
    registered_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        protocol = {"version": 1, "sha256": sha256_of(content), "registered_at": registered_at,
                    "content": content}  # fmt: skip
        (work / PROTOCOL).write_text(json.dumps(protocol, indent=1, sort_keys=True) + "\n")
        seal = os.open(work / SEAL, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(seal, "w", encoding="utf-8") as handle:
            json.dump({"study": content["id"], "seed_hex": seed.hex()}, handle)
        if out.exists():
            out.rmdir()
        work.rename(out)
    finally:
        if work.exists():
            shutil.rmtree(work)
    return load_study(out)


def load_protocol(path: Path) -> tuple[dict[str, Any], str, str]:
    """The content, SHA-256 and registration time of a ``protocol.json``, checked: the
    content must hash to the registered SHA-256 (a changed protocol is refused)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        content, registered = data["content"], data["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise StudyError(f"{path}: not a registered stepped-wedge protocol") from None
    if not isinstance(content, dict) or content.get("schema") != SCHEMA:
        raise StudyError(f"{path}: not a {SCHEMA} protocol")
    if sha256_of(content) != registered:
        raise StudyError(f"{path}: the content does not match its registered SHA-256 (changed)")
    return content, registered, str(data.get("registered_at", ""))


def load_study(directory: Path) -> Study:
    """A registered study from its directory (the coordinator's: protocol and seal)."""
    content, sha, registered_at = load_protocol(directory / PROTOCOL)
    return Study(directory, content, sha, registered_at)


def study_from_protocol(path: Path) -> Study:
    """A registered study from its ``protocol.json`` alone, as a clinic receives it (no seal:
    enough for :meth:`Study.period_of`, never for the schedule)."""
    content, sha, registered_at = load_protocol(path)
    return Study(path.parent, content, sha, registered_at)


# --- the analysis over the network ------------------------------------------------------------


def _refuse(clinic: str, file: str, problem: str) -> NetworkInputError:
    return NetworkInputError(f"clinic {clinic}: {file}: {problem}")


def check_network(network: Network, study: Study) -> None:
    """Refuse, before any result, a network whose study data do not fit the protocol: a
    taking-part clinic whose export has no periods of the study or has them under another
    protocol, periods of the study from a clinic that does not take part, a period outside
    1..T. A taking-part clinic with no export at all is not refused: it is reported as lost."""
    with duckdb.connect() as con:
        for clinic in network.clinics:
            sums = dict(clinic.studies)
            rows: list[tuple[Any, ...]] = []
            if "study_periods" in clinic.tables:
                rows = con.execute(
                    "SELECT study, MIN(period), MAX(period), COUNT(*) FROM read_parquet(?) "
                    "GROUP BY study",
                    [str(clinic.file("study_periods"))],
                ).fetchall()
            mine = [r for r in rows if r[0] == study.id]
            taking_part = clinic.name in study.clinics
            if not taking_part and (mine or study.id in sums):
                raise _refuse(clinic.name, "study_periods.parquet",
                              f"has periods of study {study.id}, whose registered protocol "
                              "does not list this clinic")  # fmt: skip
            if not taking_part:
                continue
            if study.id not in sums:
                raise _refuse(
                    clinic.name,
                    "manifest.json",
                    f"no periods of study {study.id}: the clinic takes part; "
                    "re-export it with the study's protocol (touchstone export "
                    "research --mode limited_data_set --study protocol.json)",
                )
            if sums[study.id] != study.sha256:
                raise _refuse(clinic.name, "manifest.json",
                              f"study {study.id} exported under protocol SHA-256 "
                              f"{sums[study.id][:12]}…, the registered one is "
                              f"{study.sha256[:12]}…")  # fmt: skip
            if mine and (mine[0][1] < 1 or mine[0][2] > study.periods):
                raise _refuse(clinic.name, "study_periods.parquet",
                              f"a period outside 1-{study.periods}")  # fmt: skip


def _outcomes(
    engine: Engine, study: Study, names: Mapping[str, str]
) -> tuple[dict[tuple[str, int], int], list[tuple[str, int, int]]]:
    """Episodes per (clinic, period), and (clinic, period, score) of the episodes with a
    primary outcome: the score nearest the time point (earlier day, then lower ``seq``, on a
    tie), chosen here from the engine's candidate rows in a total order."""
    outcome = study.content["primary_outcome"]
    target = 7 * int(outcome["weeks"])
    counts = {
        (names.get(site, site), int(period)): int(n)
        for site, period, n in engine.rows(queries.study_counts(study.id))
    }
    best: dict[str, tuple[tuple[int, int, int], str, int, int]] = {}
    for site, episode, period, start_on, score_on, seq, total in engine.rows(
        queries.study_candidates(
            study.id, outcome["instrument_id"], target, int(outcome["window_days"])
        )
    ):
        day = (score_on - start_on).days
        key = (abs(day - target), day, int(seq))
        if episode not in best or key < best[episode][0]:
            best[episode] = (key, names.get(site, site), int(period), int(total))
    rows = sorted((clinic, period, total, episode) for episode, (_, clinic, period, total)
                  in best.items())  # fmt: skip
    return counts, [(c, p, t) for c, p, t, _ in rows]


def study_section(engine: Engine, network: Network, study: Study, today: dt.date) -> dict[str, Any]:
    """The study's report: the registered protocol's hash, the unsealed schedule, the flow
    per clinic and period, and the pre-specified analysis with its CI."""
    crossover = study.schedule(today)
    names = {c.site: c.name for c in network.clinics}
    counts, rows = _outcomes(engine, study, names)
    present = {c.name for c in network.clinics}
    cells = []
    for clinic in study.clinics:
        for period in range(1, study.periods + 1):
            scores = [t for c, p, t in rows if c == clinic and p == period]
            cells.append({
                "clinic": clinic, "period": period,
                "condition": "intervention" if period >= crossover[clinic] else "usual care",
                "episodes": counts.get((clinic, period), 0), "with_outcome": len(scores),
                "mean_outcome": sum(scores) / len(scores) if scores else None,
            })  # fmt: skip
    out: dict[str, Any] = {
        "id": study.id,
        "title": study.content["title"],
        "design": "stepped_wedge",
        "protocol_sha256": study.sha256,
        "registered_at": study.registered_at,
        "protocol": study.content,
        "schedule": [
            {
                "clinic": c,
                "crosses_over_in_period": crossover[c],
                "from": study.period_start(crossover[c]).isoformat(),
                "exported": c in present,
            }
            for c in study.clinics
        ],
        "clinics_lost": [c for c in study.clinics if c not in present],
        "flow": cells,
        "episodes": sum(counts.values()),
        "analysed": len(rows),
        "analysis": None,
        "analysis_problem": "",
    }
    try:
        result = sw.analyse(
            [t for _, _, t in rows],
            [c for c, _, _ in rows],
            [p for _, p, _ in rows],
            [int(p >= crossover[c]) for c, p, _ in rows],
        )
    except ValueError as error:
        out["analysis_problem"] = str(error)
    else:
        out["analysis"] = {"model": MODEL, "effect": "intervention minus usual care, adjusted "
                           "for period", **result.to_dict()}  # fmt: skip
    return out
