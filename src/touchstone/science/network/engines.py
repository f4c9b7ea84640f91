"""The two engines that run the network's SQL: DuckDB in process, Apache Spark.

Each engine does four things and nothing else: load the clinics' Parquet files of a table as
one view (groups of files of one kind, each with its renames and the portable select list of
:func:`.queries.view_columns`, stacked), load a small table of rows, keep a query's result as
a table for the queries after it, and return a query's rows as tuples of Python values. The
SQL is :mod:`.queries`, the same text for both. Beside a file's own columns each engine offers
``file_row``, the row's index in its file (DuckDB's ``file_row_number``, Spark's
``_metadata.row_index``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ENGINES = ("duckdb", "spark")

_SQL_TYPES = {"text": "STRING", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE"}


@dataclass(frozen=True)
class Part:
    """Files of one kind (same columns) and how they become the view's rows."""

    files: tuple[Path, ...]
    #: {column in the file: plain name} for columns named by a keyword (only those present).
    renames: dict[str, str]
    #: The select list (portable SQL over the renamed columns and ``file_row``).
    select: tuple[str, ...]


class Engine(Protocol):
    name: str

    def load_parquet(self, view: str, parts: Sequence[Part]) -> None: ...

    def load_rows(
        self, view: str, columns: Sequence[tuple[str, str]], rows: Sequence[tuple[Any, ...]]
    ) -> None: ...

    def keep(self, view: str, sql: str) -> None: ...

    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class DuckDBEngine:
    """DuckDB in this process (the default): reads the Parquet files in place."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        import duckdb

        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self.con.execute("SET memory_limit = ?", [memory_limit])

    def load_parquet(self, view: str, parts: Sequence[Part]) -> None:
        selects = []
        for part in parts:
            renamed = ", ".join(["*", *[f'"{a}" AS {b}' for a, b in part.renames.items()]])
            listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in part.files)
            selects.append(
                f"SELECT {', '.join(part.select)} FROM (SELECT {renamed}, "  # noqa: S608
                f"file_row_number AS file_row FROM read_parquet([{listed}], "
                "file_row_number = true)) f"
            )
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS {' UNION ALL '.join(selects)}")

    def load_rows(
        self, view: str, columns: Sequence[tuple[str, str]], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        spec = ", ".join(f"{c} {_SQL_TYPES[k]}" for c, k in columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {view} ({spec})")
        if not rows:  # DuckDB's executemany refuses an empty list
            return
        marks = ", ".join("?" for _ in columns)
        self.con.executemany(f"INSERT INTO {view} VALUES ({marks})", list(rows))  # noqa: S608

    def keep(self, view: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS {sql}")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.con.execute(sql).fetchall()]

    def close(self) -> None:
        self.con.close()


class SparkEngine:
    """Apache Spark through PySpark: ``local[*]`` on this machine or a cluster's master URL.

    The files must be readable at the same path by the driver and every executor (a shared
    file system, or an object-store URL Spark can read). A running ``SparkSession`` may be
    passed in (the tests share one); otherwise one is built and stopped by :meth:`close`.
    """

    name = "spark"

    def __init__(
        self,
        master: str = "local[*]",
        *,
        session: Any = None,
        conf: dict[str, str] | None = None,
    ) -> None:
        if session is None:
            try:
                from pyspark.sql import SparkSession
            except ImportError:
                raise RuntimeError(
                    "the Spark engine needs PySpark and a Java runtime: "
                    "pip install 'touchstone[network]' (and a JDK 17 or newer)"
                ) from None
            builder = (
                SparkSession.builder.master(master)
                .appName("touchstone-network")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.showConsoleProgress", "false")
            )
            settings = dict(conf or {})
            if master.startswith("local"):
                # One machine: a few shuffle partitions per core, not Spark's 200 per shuffle
                # (a small network's every query ran 200 tasks a stage; AQE coalesces only
                # after them). A --conf setting wins; a cluster keeps Spark's default.
                cores = os.cpu_count() or 1
                settings.setdefault("spark.sql.shuffle.partitions", str(4 * cores))
            for key, value in settings.items():
                builder = builder.config(key, value)
            # getOrCreate() returns a session already running in this process (the tests'
            # shared one); only a session built here is stopped by close().
            self._owned = SparkSession.getActiveSession() is None
            session = builder.getOrCreate()
        else:
            self._owned = False
        self.spark = session
        self._kept: list[Any] = []

    def load_parquet(self, view: str, parts: Sequence[Part]) -> None:
        from pyspark.sql import functions

        frame = None
        for part in parts:
            read = self.spark.read.parquet(*[str(f) for f in part.files])
            read = read.select("*", functions.col("_metadata.row_index").alias("file_row"))
            for old, new in part.renames.items():
                read = read.withColumnRenamed(old, new)
            read = read.selectExpr(*part.select)
            frame = read if frame is None else frame.unionAll(read)
        if frame is None:
            raise ValueError(f"no files for {view}")
        frame.createOrReplaceTempView(view)

    def load_rows(
        self, view: str, columns: Sequence[tuple[str, str]], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        schema = ", ".join(f"{c} {_SQL_TYPES[k]}" for c, k in columns)
        frame = self.spark.createDataFrame(list(rows), schema=schema)
        frame.cache().createOrReplaceTempView(view)
        self._kept.append(frame)

    def keep(self, view: str, sql: str) -> None:
        frame = self.spark.sql(sql).cache()
        frame.createOrReplaceTempView(view)
        self._kept.append(frame)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.spark.sql(sql).collect()]

    def close(self) -> None:
        for frame in self._kept:
            frame.unpersist()
        for view in ("clients", "episodes", "scores", "visits", "cortisol", "hrv", "sleep",
                     "study_periods", "change_table", "pairs"):  # fmt: skip
            self.spark.catalog.dropTempView(view)
        if self._owned:
            self.spark.stop()


def open_engine(name: str, *, master: str = "local[*]", conf: dict[str, str] | None = None) -> Any:
    """The engine called ``name`` (:data:`ENGINES`)."""
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine(master, conf=conf)
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
