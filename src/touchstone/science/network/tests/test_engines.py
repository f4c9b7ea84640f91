"""One analysis, two engines: DuckDB and Spark give identical results.

Tolerance: none. The engines return only integers (counts and sums of integer scores, which
both compute exactly), and every statistic is then computed from those integers by the same
Python code, so integers are equal and floating-point numbers are bit-for-bit equal; the test
compares the whole result with ``==`` (only the ``run`` block, the engine's name and its
time, differs).
"""

from __future__ import annotations

import datetime as dt

import pytest

from touchstone.science.network.analysis import analyze
from touchstone.science.network.engines import DuckDBEngine, SparkEngine
from touchstone.science.network.inputs import NetworkInputError, load_network
from touchstone.science.network.stepped_wedge import load_study
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


def test_the_stepped_wedge_study_is_identical_on_duckdb_and_spark(tmp_path, spark_session):
    """50 clinics in one stepped-wedge study (limited data sets with study periods and the
    coded fee tier): the study's analysis and the outcomes by tier are the same on both."""
    generate(tmp_path / "net", clinics=50, clients_per_clinic=8, seed=16,
             stepped_wedge=tmp_path / "study", periods=4, effect=-3.0)  # fmt: skip
    network = load_network(tmp_path / "net")
    study = load_study(tmp_path / "study")
    on = dt.date(2030, 1, 1)
    duck = DuckDBEngine()
    on_duckdb = analyze(network, duck, study=study, on=on)
    duck.close()
    spark = SparkEngine(session=spark_session)
    on_spark = analyze(network, spark, study=study, on=on)
    spark.close()
    on_duckdb.pop("run"), on_spark.pop("run")
    [section] = on_duckdb["controlled_studies"]["studies"]
    assert section["analysis"]["n_clusters"] == 50 and section["analysed"] > 300
    assert section["analysis"]["ci_low"] < -3.0 < section["analysis"]["ci_high"]
    assert len(on_duckdb["instruments"]["phq9"]["by_tier"]) >= 2
    assert on_spark == on_duckdb
