"""Meta-analysis engine: effect sizes, fixed/random-effects models, bias and sensitivity tools.

Follows R metafor's definitions (Viechtbauer 2010) and matches its results to 1e-6 on the
reference data sets in ``docs/meta-analysis.md``; REML is linear in the number of studies.
"""
