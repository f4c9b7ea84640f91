"""Reference values from R's lme4, for the fixtures in ``fixtures/``.

Published figures (REML sleepstudy) come from /work/shared/reference/evidence.md section 2b
(lme4/lme4 tests/lmer-1.R, tests/lmer-0.R, man/utilities.Rd). Every other figure was produced
on a project machine with R 4.2.2 and Debian ``r-cran-lme4`` 1.1.31 (2026-11-27); the R call
is written above each block. ``options(digits = 15)`` was set for printing.
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

# --- sleepstudy, lme4 1.1.31 run here ---------------------------------------------------------
# fm <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy, REML = TRUE)
# fixef(fm); sqrt(diag(vcov(fm))); as.data.frame(VarCorr(fm)); logLik(fm); getME(fm, "theta");
# head(ranef(fm)$Subject, 3)
SLEEP_REML = {
    "fixed_effects": (251.405104848485, 10.467285959596),
    "fixed_se": (6.82459669495491, 1.54578964390598),
    "random_sd": (24.7406579949840619, 5.9221376588980812),
    "random_corr": 0.0655512382381282,
    "residual_sd": 25.5917957216753500,
    "log_likelihood": -871.814135979976,
    "theta": (0.9667417739674123, 0.0151690588960361, 0.2309099532077945),
    "aic": 1755.62827195995,
    "bic": 1774.78601306529,
    # ranef() for subjects 308, 309, 310: (Intercept), Days
    "ranef_first3": (
        (2.25855094990116, 9.19897576556590),
        (-40.39873807880509, -8.61968061524321),
        (-38.96040895755793, -5.44885646979814),
    ),
}
# Same call with REML = FALSE
SLEEP_ML = {
    "fixed_effects": (251.4051048484856, 10.4672859595958),
    "fixed_se": (6.63212274219029, 1.50223021383204),
    "random_sd": (23.7797595894579885, 5.7167985139282873),
    "random_corr": 0.0813210934266345,
    "residual_sd": 25.5919070364869654,
    "log_likelihood": -875.969672244495,
    "aic": 1763.93934448899,
    "bic": 1783.09708559433,
}
# fm0 <- lmer(Reaction ~ Days + (1 | Subject), sleepstudy)   # REML, random intercept only
SLEEP_INTERCEPT_ONLY = {
    "fixed_effects": (251.405104848484, 10.467285959596),
    "fixed_se": (9.74671626920939, 0.80422142894524),
    "random_sd": (37.1238267667686,),
    "residual_sd": 30.9912338986441,
    "log_likelihood": -893.232542697461,
}

# --- fixtures/phq9_sim.csv, lme4 1.1.31 run here -----------------------------------------------
# d <- read.csv("phq9_sim.csv", comment.char = "#")
# fm <- lmer(score ~ week * baseline + (week | client), d, REML = TRUE)
SIM_INTERACTION_REML = {
    "fixed_effects": (
        -0.0052320492761003,
        -1.0316465733458040,
        0.7836625919334842,
        0.0332253840147898,
    ),
    "fixed_se": (1.4670511168732430, 0.2433116023064190, 0.0920526896358037, 0.0154553148452399),
    "random_sd": (2.1972654719082390, 0.4447022934798140),
    "random_corr": 0.0643777329976009,
    "residual_sd": 1.9137706467376125,
    "log_likelihood": -592.774128147679,
    # ranef(fm)$client[c("c00", "c01"), ]; c00 has a single visit
    "ranef": {
        "c00": (-0.6920575548266894, -0.280620985910796),
        "c01": (0.0293656154011475, -0.244330744970854),
    },
}
# Same call with REML = FALSE
SIM_INTERACTION_ML = {
    "fixed_effects": (
        -0.00539854464456273,
        -1.03249954097159358,
        0.78377368633872802,
        0.03326788785988721,
    ),
    "fixed_se": (1.4322572373753557, 0.2382660856798048, 0.0898627754465276, 0.0151357122027790),
    "random_sd": (2.1066263971357899, 0.4324208812464299),
    "random_corr": 0.0962063407711896,
    "residual_sd": 1.9143373468650551,
    "log_likelihood": -586.246079534701,
}
# fm2 <- lmer(score ~ week + baseline + (week | client), d)   # REML
SIM_ADDITIVE_REML = {
    "fixed_effects": (-1.138357506829916, -0.532031697731534, 0.856433724588977),
    "fixed_se": (1.3778800707680325, 0.0759577688567170, 0.0860231049753022),
    "random_sd": (2.2285163163939021, 0.4659481351012043),
    "random_corr": 0.0313772292140186,
    "residual_sd": 1.9108394542616127,
    "log_likelihood": -591.773523954883,
}
