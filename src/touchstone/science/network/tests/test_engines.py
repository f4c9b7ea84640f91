"""One analysis, two engines: DuckDB and Spark give identical results.

Tolerance: none. The engines return only integers (counts and sums of integer scores, which
both compute exactly), and every statistic is then computed from those integers by the same
Python code, so integers are equal and floating-point numbers are bit-for-bit equal; the test
compares the whole result with ``==`` (only the ``run`` block, the engine's name and its
time, differs).
"""

from __future__ import annotations

import pytest

from touchstone.science.network.analysis import analyze
from touchstone.science.network.engines import DuckDBEngine, SparkEngine
from touchstone.science.network.inputs import NetworkInputError, load_network
from touchstone.science.network.synthetic import generate
from touchstone.science.network.tests.factories import score, write_clinic

pytestmark = pytest.mark.spark


def test_it_gives_identical_results_on_duckdb_and_spark_for_50_clinics(tmp_path, spark_session):
    generate(tmp_path, clinics=50, clients_per_clinic=6, seed=16)
    network = load_network(tmp_path)
    duck = DuckDBEngine()
    on_duckdb = analyze(network, duck)
    duck.close()
    spark = SparkEngine(session=spark_session)
    on_spark = analyze(network, spark)
    spark.close()
    assert (on_duckdb.pop("run")["engine"], on_spark.pop("run")["engine"]) == ("duckdb", "spark")
    assert len(on_duckdb["network"]["clinics"]) == 50
    phq9 = on_duckdb["instruments"]["phq9"]
    assert phq9["overall"]["n"] > 200 and len(phq9["by_clinic"]) == 50
    assert phq9["pooled"]["result"]["k"] >= 40
    # The body (a Safe Harbor network: day counts; DECIMAL sums of doubles in both engines).
    cortisol = on_duckdb["body"]["visit_change"][0]
    assert cortisol["measure"] == "cortisol" and cortisol["overall"]["n"] > 50
    assert cortisol["pooled"]["result"] is not None
    assert on_spark == on_duckdb
    assert not spark_session.sparkContext._jsc.sc().isStopped()  # a passed session stays up


def test_it_refuses_an_impossible_total_on_spark(tmp_path, spark_session):
    write_clinic(tmp_path, "alpha", {
        "clients": [{"pid": "P1", "site": "S1", "age": "40", "zip3": ""}],
        "scores": [score("P1", 1, "2025-01-01", 22, "gad7")],
    })  # fmt: skip
    spark = SparkEngine(session=spark_session)
    with pytest.raises(NetworkInputError, match=r"clinic alpha: scores.parquet: a gad7 total"):
        analyze(load_network(tmp_path), spark)
    spark.close()
