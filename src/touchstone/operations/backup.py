"""Backups that prove they restore: ``touchstone backup`` and ``touchstone restore``.

A backup is one tar file holding two members:

``manifest.json``
    what the backup is (format, engine, when, which migrations), the SHA-256 of the payload and,
    for every table, its number of rows and a SHA-256 of its rows in primary-key order;
``database.sqlite3`` or ``database.dump``
    the database itself: a copy made with SQLite's online backup API, or ``pg_dump
    --format=custom`` on PostgreSQL.

Both are consistent snapshots taken while the app keeps writing: SQLite's backup API copies
inside one read transaction (WAL mode lets writers go on), and on PostgreSQL ``pg_dump`` runs
in a snapshot exported by the transaction that also counts and checksums the tables, so the
manifest describes exactly the rows in the payload.

Restore checks before it touches anything: the payload's checksum, then the payload restored
to a scratch copy (a temporary file; a temporary database on PostgreSQL) must match every
table's count and checksum. Only then is the current database replaced: by SQLite's backup API
(one write transaction) or by ``pg_restore --single-transaction``; then it is checked again.

The checksums detect corruption, truncation and a manifest that does not belong to its
payload; they do not authenticate (anyone who can rewrite both can forge both). Protect
backups where they are stored (docs/deploy.md).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

FORMAT = "touchstone-backup"
VERSION = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup that cannot be made or restored; the message says why, for the operator."""


@dataclass(frozen=True)
class TableStats:
    rows: int
    sha256: str


Stats = dict[str, TableStats]


# --- Counting and checksumming tables -----------------------------------------------------------
def _canonical(value: Any) -> Any:
    """A JSON-able form of a database value that is the same every time the row is read."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(
        value,
        decimal.Decimal
        | uuid.UUID
        | ipaddress.IPv4Address
        | ipaddress.IPv6Address
        | ipaddress.IPv4Network
        | ipaddress.IPv6Network,
    ):
        return str(value)
    raise TypeError(f"cannot checksum a value of type {type(value).__name__}")


def rows_digest(rows: Iterable[Iterable[Any]]) -> TableStats:
    """Row count and SHA-256 of rows given in a fixed order (one canonical JSON line each)."""
    digest, count = hashlib.sha256(), 0
    for row in rows:
        line = json.dumps(list(row), default=_canonical, sort_keys=True, ensure_ascii=False)
        digest.update(line.encode())
        digest.update(b"\n")
        count += 1
    return TableStats(count, digest.hexdigest())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_stats(db: sqlite3.Connection) -> Stats:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    stats: Stats = {}
    for table in tables:
        columns = db.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
        key = [c[1] for c in sorted(columns, key=lambda c: c[5]) if c[5]]
        order = ", ".join(_quote(c) for c in key) or "rowid"
        stats[table] = rows_digest(db.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}"))  # noqa: S608
    return stats


_PG_TABLES = """
SELECT c.relname,
       coalesce((SELECT array_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum))
                 FROM pg_index i JOIN pg_attribute a
                   ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisprimary), '{}')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
ORDER BY c.relname
"""


def _postgres_stats(conn: Any) -> Stats:
    """Counts and checksums in ``conn``'s current transaction (and so its snapshot)."""
    stats: Stats = {}
    for table, key in conn.execute(_PG_TABLES).fetchall():
        order = ", ".join(_quote(c) for c in key) or "1"
        if not key:  # no primary key: order by every column
            width = len(conn.execute(f"SELECT * FROM {_quote(table)} LIMIT 0").description or [])  # noqa: S608
            order = ", ".join(str(i) for i in range(1, width + 1)) or "1"
        with conn.cursor(name=f"rows_{secrets.token_hex(4)}") as cursor:
            cursor.itersize = 2000
            cursor.execute(f"SELECT * FROM {_quote(table)} ORDER BY {order}")  # noqa: S608
            stats[table] = rows_digest(cursor)
    return stats


# --- Engines -----------------------------------------------------------------------------------
class Engine(Protocol):
    name: str
    payload_name: str

    def snapshot(self, payload: Path) -> Stats:
        """Write a consistent copy of the live database to ``payload``; its tables' stats."""

    def scratch_stats(self, payload: Path, workdir: Path) -> Stats:
        """Restore ``payload`` somewhere scratch and count and checksum what came back."""

    def live_tables(self) -> set[str]: ...

    def replace_live(self, payload: Path) -> None:
        """Make the live database the payload, all or nothing."""

    def live_stats(self) -> Stats: ...


class SQLiteEngine:
    name = "sqlite"
    payload_name = "database.sqlite3"

    def __init__(self, settings_dict: Mapping[str, Any]) -> None:
        self.path = str(settings_dict["NAME"])

    def _connect(self, path: str) -> sqlite3.Connection:
        return sqlite3.connect(path, timeout=60)

    def snapshot(self, payload: Path) -> Stats:
        if not Path(self.path).is_file():
            raise BackupError(f"there is no database at {self.path}")
        with (
            closing(self._connect(self.path)) as live,
            closing(self._connect(str(payload))) as copy,
        ):
            live.backup(copy)  # one step: one read transaction, a consistent snapshot
        with closing(self._connect(str(payload))) as copy:
            copy.execute("PRAGMA journal_mode=DELETE")  # a single, self-contained file
            return _sqlite_stats(copy)

    def scratch_stats(self, payload: Path, workdir: Path) -> Stats:
        scratch = workdir / "scratch.sqlite3"
        shutil.copyfile(payload, scratch)
        try:
            with closing(self._connect(str(scratch))) as db:
                if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise BackupError("the database in the backup is damaged (integrity check)")
                return _sqlite_stats(db)
        except sqlite3.DatabaseError as error:
            raise BackupError(
                f"the backup does not hold a readable SQLite database ({error})"
            ) from None

    def live_tables(self) -> set[str]:
        return set()  # the whole file is replaced: nothing of the old one can stay behind

    def replace_live(self, payload: Path) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with (
            closing(self._connect(str(payload))) as source,
            closing(self._connect(self.path)) as live,
        ):
            source.backup(live)  # one write transaction on the live database

    def live_stats(self) -> Stats:
        with closing(self._connect(self.path)) as db:
            return _sqlite_stats(db)


#: Connection options that are Django's, not libpq's.
_DJANGO_ONLY_OPTIONS = {"isolation_level", "server_side_binding", "pool", "assume_role"}


class PostgresEngine:
    name = "postgresql"
    payload_name = "database.dump"

    def __init__(self, settings_dict: Mapping[str, Any]) -> None:
        options = {
            k: v
            for k, v in settings_dict.get("OPTIONS", {}).items()
            if k not in _DJANGO_ONLY_OPTIONS
        }
        self.params: dict[str, Any] = {
            k: v
            for k, v in {
                "dbname": settings_dict["NAME"],
                "user": settings_dict.get("USER"),
                "host": settings_dict.get("HOST"),
                "port": str(settings_dict.get("PORT") or ""),
                **options,
            }.items()
            if v not in (None, "")
        }
        self.password = settings_dict.get("PASSWORD") or ""

    # Connections and the client programs (password through the environment, never argv).
    def _connect(self, dbname: str | None = None, **kwargs: Any) -> Any:
        import psycopg

        params = {**self.params, **({"dbname": dbname} if dbname else {})}
        # Checksums read timestamps in UTC, whatever the server's or role's TimeZone.
        params["options"] = f"{params.get('options', '')} -c TimeZone=UTC".strip()
        if self.password:
            params["password"] = self.password
        return psycopg.connect(**params, **kwargs)

    def _run(self, program: str, *args: str, dbname: str | None = None) -> None:
        """Run a client program; ``{conninfo}`` in ``args`` becomes the connection string."""
        from psycopg.conninfo import make_conninfo

        env = {**os.environ, "PGOPTIONS": "-c lock_timeout=30000"}
        if self.password:
            env["PGPASSWORD"] = self.password
        conninfo = make_conninfo(**{**self.params, **({"dbname": dbname} if dbname else {})})
        argv = [_pg_program(program), *(a.replace("{conninfo}", conninfo) for a in args)]
        result = subprocess.run(argv, env=env, capture_output=True, text=True)  # noqa: S603
        if result.returncode != 0:
            message = result.stderr.strip().splitlines()
            detail = message[-1] if message else f"exit status {result.returncode}"
            if "lock timeout" in result.stderr:
                detail = "the database is in use: stop the app (gunicorn, jobs) and try again"
            raise BackupError(f"{program} failed: {detail}")

    def snapshot(self, payload: Path) -> Stats:
        import psycopg

        with closing(self._connect()) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            # pg_dump joins the snapshot while this transaction holds it open.
            self._run(
                "pg_dump", "--format=custom", f"--snapshot={snapshot}",
                f"--file={payload}", "--dbname={conninfo}",
            )  # fmt: skip
            stats = _postgres_stats(conn)
            conn.rollback()
        return stats

    def scratch_stats(self, payload: Path, workdir: Path) -> Stats:
        scratch = f"{self.params['dbname'][:40]}_verify_{secrets.token_hex(4)}"
        import psycopg
        from psycopg import sql

        try:
            with closing(self._connect(autocommit=True)) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        except psycopg.errors.InsufficientPrivilege:
            raise BackupError(
                "restore verifies the backup in a scratch database before it touches this one; "
                "run it as a role that may create databases (CREATEDB), e.g. the owner role"
            ) from None
        try:
            self._run(
                "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                "--dbname={conninfo}", str(payload), dbname=scratch,
            )  # fmt: skip
            with closing(self._connect(scratch)) as conn:
                stats = _postgres_stats(conn)
                conn.rollback()
            return stats
        finally:
            with closing(self._connect(autocommit=True)) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(scratch)
                    )
                )

    def live_tables(self) -> set[str]:
        with closing(self._connect()) as conn:
            return {row[0] for row in conn.execute(_PG_TABLES).fetchall()}

    def replace_live(self, payload: Path) -> None:
        self._run(
            "pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
            "--dbname={conninfo}", str(payload),
        )  # fmt: skip
        # pg_restore brings rows, not planner statistics: until autovacuum gets to them the
        # planner guesses blind, and the measures' subqueries ran for minutes that way.
        with closing(self._connect(autocommit=True)) as conn:
            conn.execute("ANALYZE")

    def live_stats(self) -> Stats:
        with closing(self._connect()) as conn:
            stats = _postgres_stats(conn)
            conn.rollback()
        return stats


def _pg_program(name: str) -> str:
    """The newest installed PostgreSQL client program (Debian keeps them per major version)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: [int(x) for x in p.parts[-3].split(".") if x.isdigit()],
    )
    found = str(versions[-1]) if versions else shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def engine_for(settings_dict: Mapping[str, Any]) -> Engine:
    backend = settings_dict["ENGINE"]
    if backend == "django.db.backends.sqlite3":
        return SQLiteEngine(settings_dict)
    if backend == "django.db.backends.postgresql":
        return PostgresEngine(settings_dict)
    raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")


# --- The backup file ---------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_backup(engine: Engine, out: Path, migrations: Mapping[str, str]) -> dict[str, Any]:
    """Write a backup of the live database to ``out`` (atomically: a crash leaves no partial
    file under that name) and return its manifest."""
    if out.exists() and out.is_dir():
        raise BackupError(f"{out} is a directory; name the backup file")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent} is not a directory")
    with tempfile.TemporaryDirectory(prefix="touchstone-backup-", dir=out.parent) as tmp:
        payload = Path(tmp) / engine.payload_name
        stats = engine.snapshot(payload)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "engine": engine.name,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "touchstone": metadata.version("touchstone"),
            "migrations": dict(sorted(migrations.items())),
            "payload": {
                "name": engine.payload_name,
                "bytes": payload.stat().st_size,
                "sha256": _sha256(payload),
            },
            "tables": {t: {"rows": s.rows, "sha256": s.sha256} for t, s in sorted(stats.items())},
        }
        manifest_path = Path(tmp) / MANIFEST
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
        partial = Path(tmp) / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            tar.add(manifest_path, arcname=MANIFEST)
            tar.add(payload, arcname=engine.payload_name)
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, out)
    return manifest


def _manifest_stats(manifest: Mapping[str, Any]) -> Stats:
    try:
        return {
            str(t): TableStats(int(s["rows"]), str(s["sha256"]))
            for t, s in manifest["tables"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BackupError("the manifest's table list is malformed") from None


def _differences(expected: Stats, found: Stats) -> list[str]:
    problems = [f"table {t} is missing" for t in sorted(expected.keys() - found.keys())]
    problems += [
        f"table {t} is not in the manifest" for t in sorted(found.keys() - expected.keys())
    ]
    for table in sorted(expected.keys() & found.keys()):
        want, got = expected[table], found[table]
        if want.rows != got.rows:
            problems.append(f"table {table} has {got.rows} rows, the manifest says {want.rows}")
        elif want.sha256 != got.sha256:
            problems.append(f"table {table}'s rows differ from the manifest's checksum")
    return problems


@contextmanager
def opened_backup(path: Path, engine: Engine) -> Iterator[tuple[dict[str, Any], Path]]:
    """The backup's manifest and its payload (extracted to a temporary directory), after the
    checks that need no database: structure, format, engine and the payload's checksum."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with tempfile.TemporaryDirectory(prefix="touchstone-restore-") as tmp:
        workdir = Path(tmp)
        try:
            with tarfile.open(path, "r:") as tar:
                members = {m.name: m for m in tar.getmembers() if m.isfile()}
                if MANIFEST not in members:
                    raise BackupError(f"{path} is not a Touchstone backup (no {MANIFEST})")
                raw = tar.extractfile(members[MANIFEST])
                manifest = json.loads(raw.read()) if raw else None
                if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                    raise BackupError(f"{path} is not a Touchstone backup (unknown manifest)")
                if manifest.get("version") != VERSION:
                    raise BackupError(
                        f"backup format version {manifest.get('version')} is not supported"
                    )
                if manifest.get("engine") != engine.name:
                    raise BackupError(
                        f"the backup is of a {manifest.get('engine')} database and this "
                        f"installation uses {engine.name}; restore it into the same kind"
                    )
                name = engine.payload_name
                if name not in members or manifest.get("payload", {}).get("name") != name:
                    raise BackupError(f"the backup has no {name}")
                source = tar.extractfile(members[name])
                if source is None:
                    raise BackupError(f"the backup has no {name}")
                payload = workdir / name
                with payload.open("wb") as out:
                    shutil.copyfileobj(source, out)
        except (tarfile.TarError, json.JSONDecodeError, UnicodeDecodeError, EOFError) as error:
            raise BackupError(f"{path} is not a readable backup ({error})") from None
        if _sha256(payload) != manifest["payload"].get("sha256"):
            raise BackupError("the database in the backup does not match the manifest's checksum")
        yield manifest, workdir


def verify_backup(path: Path, engine: Engine) -> dict[str, Any]:
    """Every check restore makes, without touching the live database."""
    with opened_backup(path, engine) as (manifest, workdir):
        _check_restored(manifest, engine.scratch_stats(workdir / engine.payload_name, workdir))
    return manifest


def _check_restored(manifest: Mapping[str, Any], found: Stats) -> None:
    problems = _differences(_manifest_stats(manifest), found)
    if problems:
        raise BackupError("the backup does not verify: " + "; ".join(problems[:5]))


def restore_backup(path: Path, engine: Engine) -> dict[str, Any]:
    """Replace the live database with the backup's, once the backup verifies."""
    with opened_backup(path, engine) as (manifest, workdir):
        payload = workdir / engine.payload_name
        expected = _manifest_stats(manifest)
        _check_restored(manifest, engine.scratch_stats(payload, workdir))
        extra = engine.live_tables() - expected.keys()
        if extra:
            raise BackupError(
                "the current database has tables the backup does not ("
                + ", ".join(sorted(extra)[:5])
                + "): it is of a newer version; restore into an empty database"
            )
        engine.replace_live(payload)
        problems = _differences(expected, engine.live_stats())
        if problems:
            raise BackupError(
                "restored, but the database does not match: " + "; ".join(problems[:5])
            )
    return manifest
