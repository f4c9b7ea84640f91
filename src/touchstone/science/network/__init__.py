"""The research network: pooled analyses of many clinics' de-identified exports.

A coordinator receives a directory of clinic exports (the research export's Parquet files and
manifest, :mod:`touchstone.science.research_format`), checks them (:mod:`.inputs`) and runs
one analysis (:mod:`.analysis`) on an engine of its choice (:mod:`.engines`): DuckDB in
process (the default) or Apache Spark (``local[*]`` or a cluster). The engines run the same
portable SQL (:mod:`.queries`) and return only integer sums per group; every statistic is then
computed from those integers by the science core (change classification, Wilson intervals,
pre-post Hedges' g, the REML meta-analysis), so both engines give identical results.
:mod:`.synthetic` builds a deterministic synthetic network for tests and benchmarks.

No Django here: the ``network`` app's command is a thin shell around these functions.
"""
