"""Find and check a directory of clinic exports before anything is analysed or written.

A network directory holds one sub-directory per clinic, each a research export (its
``manifest.json`` and the Parquet file of every table). Every problem found is refused with
a message that names the clinic (its directory) and the file: a missing manifest, another
format or schema version, a missing table, a Parquet file whose columns or types differ from
the data dictionary, row counts that differ from the manifest's (a truncated copy), and a
pseudonymous client or episode id that appears in more than one clinic (or twice in one), a
Parquet file whose SHA-256 is not the manifest's (changed or cut short since the export).

Exports of every readable schema version (``research_format.READABLE_VERSIONS``) pool
together, of either mode: version 3 has no body tables, versions 3 and 4 no ``scores.seq``
and no ``visits.therapist`` (:class:`ClinicExport` says what each clinic has; the analysis
loads each kind with its own column expressions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from touchstone.science.research_format import (
    CORE_TABLES,
    FORMAT,
    MANIFEST,
    MODES,
    PARQUET_TYPES,
    READABLE_VERSIONS,
    TABLE_SINCE,
    TABLES,
    dictionary,
    missing_columns,
    sha256,
)

#: The coded client columns of every readable export the network breaks outcomes
#: down by (pronouns are not a population; the research format lists the codes).
POPULATION_COLUMNS = (
    "sex_at_birth",
    "gender_identity",
    "pregnancy_status",
    "postpartum_weeks",
    "menopause_status",
)
#: Population columns a later export version added: column -> version. The network breaks
#: outcomes down by one when any clinic's export has it; the clients of older exports count
#: under blank (not exported) there. The fee tier came with version 6 (issue 16 §3).
LATER_POPULATION_COLUMNS = {"tier": 6}


class NetworkInputError(ValueError):
    """A clinic's export cannot be analysed; the message names the clinic and the file."""


@dataclass(frozen=True)
class ClinicExport:
    """One clinic's export: its directory name, path, and from the manifest its schema
    version, mode, tables and row counts."""

    name: str
    path: Path
    counts: dict[str, int]
    version: int
    mode: str
    #: The tables it has (the body tables from version 4 on).
    tables: tuple[str, ...]
    #: The pseudonymous site id of its clients ("" when it exported no client).
    site: str = ""
    #: The network studies its ``study_periods`` table is for: study id -> the SHA-256 of the
    #: registered protocol the clinic exported it under (the manifest's ``studies``).
    studies: tuple[tuple[str, str], ...] = ()

    def file(self, table: str) -> Path:
        return self.path / f"{table}.parquet"

    def columns(self, table: str) -> list[tuple[str, str, str]]:
        """The columns its ``table`` must have: its mode's, less those of a later version."""
        newer = missing_columns(table, self.version)
        spec = dictionary(self.mode, diagnoses=False)[table]
        return [column for column in spec if column[0] not in newer]


@dataclass(frozen=True)
class Network:
    """The checked exports of a network, in directory-name order."""

    root: Path
    clinics: tuple[ClinicExport, ...]
    #: Population columns present in every clinic's clients table.
    population: tuple[str, ...]

    def files(self, table: str) -> list[Path]:
        """The ``table`` files of every clinic that has that table."""
        return [clinic.file(table) for clinic in self.clinics if table in clinic.tables]


def _refuse(clinic: str, file: str, problem: str) -> NetworkInputError:
    return NetworkInputError(f"clinic {clinic}: {file}: {problem}")


def _manifest(directory: Path) -> ClinicExport:
    path = directory / MANIFEST
    name = directory.name
    if not path.is_file():
        raise _refuse(name, MANIFEST, "missing; not a Touchstone research export")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _refuse(name, MANIFEST, f"not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse(name, MANIFEST, f"format is not {FORMAT!r}")
    version = manifest.get("version")
    readable = ", ".join(str(v) for v in READABLE_VERSIONS)
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise _refuse(
            name,
            MANIFEST,
            f"schema version {version!r}; this coordinator reads versions {readable} "
            "(re-export the clinic with a current Touchstone release)",
        )
    mode = manifest.get("mode")
    if mode not in MODES:
        raise _refuse(name, MANIFEST, f"mode {mode!r} is not one of {', '.join(MODES)}")
    listed = manifest.get("tables")
    listed = listed if isinstance(listed, list) else []
    tables = tuple(
        t for t in TABLES if t in CORE_TABLES or (version >= TABLE_SINCE[t] and t in listed)
    )
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(
        isinstance(counts.get(t), int) and not isinstance(counts.get(t), bool) for t in tables
    ):
        raise _refuse(name, MANIFEST, "no row count for every table")
    sums = manifest.get("sha256")
    if not isinstance(sums, dict) or not all(
        isinstance(sums.get(f"{t}.parquet"), str) for t in tables
    ):
        raise _refuse(name, MANIFEST, "no SHA-256 for every Parquet file")
    studies = manifest.get("studies", {})
    if not isinstance(studies, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in studies.items()
    ):
        raise _refuse(name, MANIFEST, "studies is not a map of study id to protocol SHA-256")
    return ClinicExport(
        name,
        directory,
        {t: int(counts[t]) for t in tables},
        version,
        mode,
        tables,
        studies=tuple(sorted(studies.items())),
    )


def _check_sums(clinic: ClinicExport) -> None:
    """Every Parquet file the network reads is the one the manifest vouches for."""
    sums = json.loads((clinic.path / MANIFEST).read_text(encoding="utf-8"))["sha256"]
    for table in clinic.tables:
        path = clinic.file(table)
        if path.is_file() and sha256(path) != sums[path.name]:
            raise _refuse(
                clinic.name,
                path.name,
                "does not match the manifest's SHA-256 (changed or incomplete since the export)",
            )


def _check_tables(con: duckdb.DuckDBPyConnection, clinic: ClinicExport) -> None:
    """Check every table's schema and row count."""
    for table in clinic.tables:
        path = clinic.file(table)
        if not path.is_file():
            raise _refuse(clinic.name, path.name, "missing")
        try:
            schema = con.execute(
                "SELECT name, type FROM parquet_schema(?) WHERE num_children IS NULL",
                [str(path)],
            ).fetchall()
            rows = con.execute(
                "SELECT coalesce(sum(row_group_num_rows), 0) FROM "
                "(SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(?))",
                [str(path)],
            ).fetchone()
        except duckdb.Error as error:
            raise _refuse(clinic.name, path.name, f"not a Parquet file ({error})") from None
        found = {name: kind for name, kind in schema}
        for column, kind, _ in clinic.columns(table):
            want = {"VARCHAR": "BYTE_ARRAY", "BIGINT": "INT64", "DOUBLE": "DOUBLE"}[
                PARQUET_TYPES[kind]
            ]
            if column not in found:
                raise _refuse(clinic.name, path.name, f"column {column!r} is missing")
            if found[column] != want:
                raise _refuse(
                    clinic.name,
                    path.name,
                    f"column {column!r} is {found[column]}, the dictionary says {kind}",
                )
        count = int(rows[0]) if rows else 0
        if count != clinic.counts[table]:
            raise _refuse(
                clinic.name,
                path.name,
                f"{count} rows, the manifest says {clinic.counts[table]} (incomplete copy?)",
            )


def _check_unique(con: duckdb.DuckDBPyConnection, clinics: tuple[ClinicExport, ...]) -> None:
    """No client pseudonym, and no episode pseudonym, in two clinics (or twice in one)."""
    for table, column in (("clients", "pid"), ("episodes", "episode")):
        files = [str(c.file(table)) for c in clinics]
        duplicate = con.execute(
            f"SELECT {column}, list(DISTINCT filename ORDER BY filename), count(*) "  # noqa: S608
            f"FROM read_parquet(?, filename = true) GROUP BY {column} HAVING count(*) > 1 "
            f"ORDER BY {column} LIMIT 1",
            [files],
        ).fetchone()
        if duplicate:
            value, where, _ = duplicate
            names = [Path(f).parent.name for f in where]
            if len(names) == 1:
                raise _refuse(names[0], f"{table}.parquet", f"{column} {value} appears twice")
            raise _refuse(
                names[1],
                f"{table}.parquet",
                f"{column} {value} is also in clinic {names[0]}'s {table}.parquet "
                "(pseudonyms must be unique across the network)",
            )


def _site(con: duckdb.DuckDBPyConnection, clinic: ClinicExport) -> str:
    sites = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT site FROM read_parquet(?) ORDER BY site", [str(clinic.file("clients"))]
        ).fetchall()
    ]
    if len(sites) > 1:
        raise _refuse(
            clinic.name, "clients.parquet", f"{len(sites)} site ids; one export is one clinic"
        )
    return sites[0] if sites else ""


def load_network(root: Path) -> Network:
    """Find every clinic export under ``root`` and check them all (see the module notes).

    Raises
    ------
    NetworkInputError
        On the first problem, naming the clinic and the file.
    """
    if not root.is_dir():
        raise NetworkInputError(f"{root}: not a directory")
    directories = sorted(p for p in root.iterdir() if p.is_dir())
    if not directories:
        raise NetworkInputError(f"{root}: no clinic export (one sub-directory per clinic)")
    clinics = tuple(_manifest(d) for d in directories)
    with duckdb.connect() as con:
        for clinic in clinics:
            _check_tables(con, clinic)
        for clinic in clinics:
            _check_sums(clinic)
        clinics = tuple(replace(c, site=_site(con, c)) for c in clinics)
        _check_unique(con, clinics)
        seen: dict[str, str] = {}
        for clinic in clinics:
            if clinic.site and clinic.site in seen:
                raise _refuse(
                    clinic.name,
                    "clients.parquet",
                    f"site {clinic.site} is also clinic {seen[clinic.site]}'s",
                )
            seen[clinic.site] = clinic.name
    population = POPULATION_COLUMNS + tuple(
        c
        for c, since in LATER_POPULATION_COLUMNS.items()
        if any(clinic.version >= since for clinic in clinics)
    )
    return Network(root, clinics, population)
