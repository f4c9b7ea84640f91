# lme4 on the simulated clinics of bench/trajectories.py: the reference values for
# `bench/trajectories.py --check` and lme4's timing for docs/benchmarks.md.
#
#   .venv/bin/python bench/trajectories.py --write-csv /tmp/clinics
#   Rscript bench/lme4_clinics.R /tmp/clinics 3 > bench/data/lme4_clinics.json
#
# For each clinic-<clients>-seed<seed>.csv: lmer(score ~ time * baseline + (time | client))
# by REML with lme4's default control (nloptwrap BOBYQA, xtol_abs = ftol_abs = 1e-8; the
# median wall time of REPEATS fits) and with a tight control (xtol_abs = ftol_abs = 1e-14,
# no relative stopping), which stops at the optimum up to floating-point noise.
# Run with Debian's r-base-core (R 4.2.2) and r-cran-lme4 1.1.31.
suppressMessages({library(lme4); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
folder <- args[1]
repeats <- if (length(args) > 1) as.integer(args[2]) else 1L
tight <- lmerControl(optimizer = "nloptwrap",
                     optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-14, xtol_rel = 0,
                                    ftol_rel = 0, maxeval = 1e5))
fields <- function(fm, seconds) {
  list(logLik = as.numeric(logLik(fm)), theta = unname(getME(fm, "theta")),
       fixef = unname(fixef(fm)), sigma = sigma(fm), seconds = median(seconds),
       seconds_all = seconds, evaluations = fm@optinfo$feval,
       messages = as.list(fm@optinfo$conv$lme4$messages))
}
files <- list.files(folder, pattern = "^clinic-[0-9]+-seed[0-9]+\\.csv$")
clinics <- lapply(files, function(f) {
  path <- file.path(folder, f)
  d <- read.csv(path)
  d$client <- factor(d$client)
  parts <- as.integer(regmatches(f, gregexpr("[0-9]+", f))[[1]])
  seconds <- numeric(repeats)
  for (i in seq_len(repeats)) {
    seconds[i] <- system.time(
      fm <- suppressWarnings(lmer(score ~ time * baseline + (time | client), d)))["elapsed"]
  }
  t_tight <- system.time(
    ft <- suppressWarnings(lmer(score ~ time * baseline + (time | client), d,
                                control = tight)))["elapsed"]
  list(file = f, n_clients = parts[1], seed = parts[2],
       md5 = unname(tools::md5sum(path)), default = fields(fm, seconds),
       tight = fields(ft, t_tight))
})
out <- list(generator = "bench/lme4_clinics.R", r_version = R.version.string,
            lme4_version = as.character(packageVersion("lme4")),
            cpu = system("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2", intern = TRUE),
            clinics = clinics)
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "\n")
