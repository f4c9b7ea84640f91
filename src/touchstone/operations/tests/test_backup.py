"""``touchstone backup`` and ``touchstone restore``: a round trip while the app writes, and
refusals that leave the current database as it was. Run on the test run's engine (SQLite, or
PostgreSQL when DATABASE_URL names one), as an operator runs them: in subprocesses."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from touchstone.operations.backup import (
    MANIFEST,
    BackupError,
    SQLiteEngine,
    TableStats,
    opened_backup,
    rows_digest,
)
from touchstone.tests.installation import Installation, installation

WRITER = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
import django
django.setup()
from django.db import transaction
from touchstone.accounts.models import Clinic
from touchstone.audit.models import AuditEvent
progress, stop = sys.argv[1], sys.argv[2]
i = 0
while not os.path.exists(stop):
    i += 1
    # Two tables, one transaction: a consistent snapshot holds both rows or neither.
    with transaction.atomic():
        clinic = Clinic.objects.create(name=f"Writer {i}", slug=f"writer-{i}")
        AuditEvent.objects.create(
            clinic=clinic, actor_label="writer", action="create", object_type="writer",
            object_id=str(i),
        )
    with open(progress + ".tmp", "w") as f:
        f.write(str(i))
    os.replace(progress + ".tmp", progress)
    time.sleep(0.005)
"""

COUNT = (
    "from touchstone.accounts.models import Clinic; from touchstone.audit.models import "
    "AuditEvent; print(Clinic.objects.filter(slug__startswith='writer-').count(), "
    "AuditEvent.objects.filter(object_type='writer').count(), "
    "Clinic.objects.filter(slug='marker').count())"
)


def _counts(site: Installation) -> tuple[int, int, int]:
    out = site.touchstone("shell", "--verbosity=0", "-c", COUNT).stdout.split()
    clinics, events, markers = (int(x) for x in out[-3:])
    return clinics, events, markers


def _written(progress: Path) -> int:
    return int(progress.read_text()) if progress.exists() else 0


def _wait_for(progress: Path, at_least: int, writer: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while _written(progress) < at_least:
        assert writer.poll() is None, "the writer stopped"
        assert time.monotonic() < deadline, "the writer made no progress"
        time.sleep(0.2)


@pytest.mark.slow
def test_a_backup_taken_while_the_app_writes_restores_to_a_consistent_state(
    tmp_path: Path, migrated_database: str
):
    progress, stop = tmp_path / "progress", tmp_path / "stop"
    backup = tmp_path / "backup.tar"
    with installation(tmp_path / "live", template=migrated_database) as live:
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(progress), str(stop)], env=live.env
        )
        try:
            _wait_for(progress, 20, writer)
            before = _written(progress)
            out = live.touchstone("backup", "--out", str(backup)).stdout
            after = _written(progress)
            _wait_for(progress, after + 20, writer)
        finally:
            stop.touch()
            writer.wait(timeout=120)
        assert writer.returncode == 0
        assert "backup of" in out
        final = _counts(live)
        assert final[0] == final[1] > after

    with installation(tmp_path / "restored") as restored:  # a fresh machine: empty database
        assert "verifies" in restored.touchstone("restore", str(backup), "--verify-only").stdout
        restored.touchstone("restore", str(backup), "--yes")
        clinics, events, _ = _counts(restored)
    # Every pair written before the backup started, none half-written, and not the later ones.
    assert before <= clinics == events < final[0]
    assert after > before, "the backup ran while the writer was writing"


def _rewrite(target: Path, manifest: dict, payload: bytes) -> None:
    with tarfile.open(target, "w") as tar:
        for name, data in ((MANIFEST, json.dumps(manifest).encode()), ("payload", payload)):
            info = tarfile.TarInfo(manifest["payload"]["name"] if name == "payload" else name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _parts(backup: Path) -> tuple[dict, bytes]:
    with tarfile.open(backup) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
        payload = tar.extractfile(manifest["payload"]["name"]).read()  # type: ignore[union-attr]
    return manifest, payload


@pytest.mark.slow
def test_restore_refuses_a_backup_that_does_not_verify_and_changes_nothing(
    tmp_path: Path, migrated_database: str
):
    import hashlib

    with installation(tmp_path / "live", template=migrated_database) as live:
        first, second = tmp_path / "first.tar", tmp_path / "second.tar"
        live.touchstone("backup", "--out", str(first))
        live.touchstone(
            "shell", "--verbosity=0", "-c",
            "from touchstone.accounts.models import Clinic;"
            "Clinic.objects.create(name='M', slug='marker')",
        )  # fmt: skip
        live.touchstone("backup", "--out", str(second))
        manifest, payload = _parts(first)
        _, other_payload = _parts(second)

        flipped = bytearray(payload)
        flipped[len(flipped) // 2] ^= 0xFF
        miscounted = json.loads(json.dumps(manifest))
        miscounted["tables"]["accounts_clinic"]["rows"] += 1
        swapped = json.loads(json.dumps(manifest))
        swapped["payload"]["sha256"] = hashlib.sha256(other_payload).hexdigest()
        other_engine = json.loads(json.dumps(manifest))
        other_engine["engine"] = "postgresql" if manifest["engine"] == "sqlite" else "sqlite"
        cases = [
            ("flipped", manifest, bytes(flipped), "does not match the manifest's checksum"),
            ("miscounted", miscounted, payload, "accounts_clinic has 0 rows, the manifest says 1"),
            ("swapped", swapped, other_payload, "accounts_clinic has 1 rows, the manifest says 0"),
            ("engine", other_engine, payload, "restore it into the same kind"),
        ]  # fmt: skip
        for name, bad_manifest, bad_payload, message in cases:
            bad = tmp_path / f"{name}.tar"
            _rewrite(bad, bad_manifest, bad_payload)
            result = live.touchstone("restore", str(bad), "--yes", check=False)
            assert result.returncode == 2, (name, result.stderr)
            assert message in result.stderr, (name, result.stderr)
            assert _counts(live)[2] == 1, f"{name}: the current database was changed"

        not_a_backup = tmp_path / "notes.txt"
        not_a_backup.write_text("hello")
        result = live.touchstone("restore", str(not_a_backup), "--yes", check=False)
        assert result.returncode == 2 and "not a readable backup" in result.stderr
        # The good one goes through: the marker made after it is gone.
        live.touchstone("restore", str(first), "--yes")
        assert _counts(live)[2] == 0


def test_it_refuses_to_restore_without_confirmation(tmp_path: Path, migrated_database: str):
    with installation(tmp_path / "live", template=migrated_database) as live:
        backup = tmp_path / "b.tar"
        live.touchstone("backup", "--out", str(backup))
        result = live.touchstone("restore", str(backup), check=False)
        assert result.returncode == 2 and "--yes" in result.stderr


# --- The pieces, without a database -----------------------------------------------------------
def test_a_tables_checksum_depends_on_every_value_and_the_order():
    rows = [(1, "Dana", None, b"\x00"), (2, "Lee", 1.5, b"")]
    first = rows_digest(rows)
    assert first == rows_digest(list(rows)) and first.rows == 2
    assert rows_digest(reversed(rows)).sha256 != first.sha256
    assert rows_digest([(1, "Dana", None, b"\x01"), rows[1]]).sha256 != first.sha256
    assert rows_digest([]) == TableStats(0, rows_digest([]).sha256)


def test_it_refuses_a_file_that_is_not_a_backup(tmp_path: Path):
    engine = SQLiteEngine({"NAME": str(tmp_path / "db.sqlite3")})
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as tar:
        info = tarfile.TarInfo("notes.txt")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(BackupError, match=r"no manifest\.json"), opened_backup(plain, engine):
        pass
    with pytest.raises(BackupError, match="is not a file"), opened_backup(tmp_path, engine):
        pass
