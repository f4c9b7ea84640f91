"""The two engines that run the network's SQL: DuckDB in process, Apache Spark.

Each engine does four things and nothing else: load the clinics' Parquet files of a table as
one view (with :data:`.queries.RENAMES`), load a small table of rows, keep a query's result as
a table for the queries after it, and return a query's rows as tuples of Python values. The
SQL is :mod:`.queries`, the same text for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

ENGINES = ("duckdb", "spark")

_SQL_TYPES = {"text": "STRING", "integer": "BIGINT"}


class Engine(Protocol):
    name: str

    def load_parquet(self, view: str, files: Sequence[Path], renames: dict[str, str]) -> None: ...

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

    def load_parquet(self, view: str, files: Sequence[Path], renames: dict[str, str]) -> None:
        select = ", ".join(["*", *[f'"{a}" AS {b}' for a, b in renames.items()]])
        listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        self.con.execute(
            f"CREATE OR REPLACE VIEW {view} AS SELECT {select} "  # noqa: S608
            f"FROM read_parquet([{listed}])"
        )

    def load_rows(
        self, view: str, columns: Sequence[tuple[str, str]], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        spec = ", ".join(f"{c} {_SQL_TYPES[k]}" for c, k in columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {view} ({spec})")
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
            for key, value in (conf or {}).items():
                builder = builder.config(key, value)
            # getOrCreate() returns a session already running in this process (the tests'
            # shared one); only a session built here is stopped by close().
            self._owned = SparkSession.getActiveSession() is None
            session = builder.getOrCreate()
        else:
            self._owned = False
        self.spark = session
        self._kept: list[Any] = []

    def load_parquet(self, view: str, files: Sequence[Path], renames: dict[str, str]) -> None:
        frame = self.spark.read.parquet(*[str(f) for f in files])
        for old, new in renames.items():
            frame = frame.withColumnRenamed(old, new)
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
        for view in ("clients", "episodes", "scores", "visits", "change_table", "pairs"):
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
