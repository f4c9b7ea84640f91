"""Published lme4 figures for sleepstudy (rounded as printed), for ``test_lmm.py``.

Source: /work/shared/reference/evidence.md section 2b (lme4/lme4 tests/lmer-1.R,
tests/lmer-0.R, tests/REMLdev.R, man/utilities.Rd). The full-precision lme4 values the tests
also use are in ``fixtures/lme4_1_1_31.json``, printed by ``fixtures/lme4_reference.R``.
"""

# --- sleepstudy, published (evidence.md 2b) -------------------------------------------------
# lmer(Reaction ~ Days + (Days | Subject), sleepstudy)   # REML
PUBLISHED_REML = {
    "fixed_effects": (251.405104848485, 10.467285959595),  # tests/lmer-1.R
    "fixed_se": (6.8246, 1.5458),  # sqrt of vcov diagonal 46.5751, 2.38947 (tests/lmer-0.R)
    "random_sd": (24.740, 5.922),  # man/utilities.Rd .prt.VC
    "random_corr": 0.066,  # man/utilities.Rd .prt.VC
    "residual_sd": 25.592,  # man/utilities.Rd .prt.VC
    "reml_criterion": 1743.628,  # tests/REMLdev.R
}
PUBLISHED_ML = {
    "deviance": 1751.939,  # tests/REMLdev.R
    "aic": 1763.94,  # tests/lmer-1.R
    "bic": 1783.1,  # tests/lmer-1.R
}
