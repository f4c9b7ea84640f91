"""The research network's coordinator: ``touchstone network generate|analyze``.

A thin shell around :mod:`touchstone.science.network` (no models, no views): the coordinator
works on de-identified files outside any clinic, so it acts for no clinic and reads no
clinical table. docs/network.md describes the analyses and how to run them on Spark.
"""
