"""Touchstone's science core: plain Python and numpy, no Django.

Instrument scoring, change statistics, meta-analysis, trajectories, sleep, HRV and
biomarker arithmetic take and return plain values and arrays, so they can be used
and tested on their own. The import-linter contract "science" in ``pyproject.toml``
(run by ``scripts/lint.sh``) enforces that no module here imports Django or any app.
"""
