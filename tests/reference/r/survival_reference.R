# Reference values for tests/test_analysis_r_reference.py, computed with R's survival package.
#
#   Rscript tests/reference/r/survival_reference.R OUT/m5/datasets/mirocals/analysis/adam/datasets
#
# run from the project root on the default study (cdisc-mirocals convert --out OUT). Made with R 4.2.2
# and survival 3.5-3 (Debian bookworm: apt-get install r-base-core r-cran-survival r-cran-haven).
# Writes, next to this script:
#   mirocals_tte.csv      the ADTTE records (ITTFL = 'Y') with the ADSL variables the models use: the
#                         exact input of every number below, so the Python test needs neither R nor XPT
#   synthetic_tte.csv     a 3-arm study with weekly (tied) times, 3 strata and a 3-level factor, for the
#                         multi-df terms the 2-arm study lacks
#   survival_expected.csv one number per row: dataset, paramcd, analysis, ties, quantity, group, term, value
suppressPackageStartupMessages({library(survival); library(haven)})
args <- commandArgs(trailingOnly = TRUE)
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
adam <- if (length(args)) args[1] else "out/m5/datasets/mirocals/analysis/adam/datasets"

adtte <- as.data.frame(read_xpt(file.path(adam, "adtte.xpt")))
adsl <- as.data.frame(read_xpt(file.path(adam, "adsl.xpt")))
keep <- c("USUBJID", "TRT01P", "TRT01PN", "ITTFL", "STRATAR", "STRAT1R", "STRAT2R", "AGE", "ALSFRSBL", "PNFHBL",
          "PNFHGR1", "PNFHGR1N")
tte <- merge(adtte[, c("USUBJID", "PARAMCD", "AVAL", "CNSR")], adsl[, keep], by = "USUBJID")
tte <- tte[tte$ITTFL == "Y", ]
tte <- tte[order(tte$PARAMCD, tte$USUBJID), ]
for (v in c("STRATAR", "STRAT1R", "STRAT2R", "PNFHGR1")) tte[[v]][tte[[v]] == ""] <- NA
write.csv(tte, file.path(here, "mirocals_tte.csv"), row.names = FALSE, na = "")

set.seed(20240611)
n <- 300
syn <- data.frame(arm = sample(c("P", "A", "B"), n, TRUE), s = sample(c("s1", "s2", "s3"), n, TRUE),
                  age = round(rnorm(n, 60, 8), 1), site = sample(c("a", "b", "c"), n, TRUE))
syn$time <- ceiling(rexp(n, ifelse(syn$arm == "A", 1 / 40, 1 / 30)) / 7) * 7
syn$event <- as.integer(runif(n) < 0.75)
write.csv(syn, file.path(here, "synthetic_tte.csv"), row.names = FALSE)

rows <- list()
put <- function(dataset, paramcd, analysis, ties, quantity, value, group = "", term = "") {
  rows[[length(rows) + 1]] <<- data.frame(dataset = dataset, paramcd = paramcd, analysis = analysis, ties = ties,
                                          quantity = quantity, group = group, term = term,
                                          value = sprintf("%.17g", value))
}

# every coefficient (by position, as the model matrix orders them), the treatment LR test, and cox.zph
cox_numbers <- function(dataset, paramcd, analysis, ties, fit, reduced_loglik, tested_df) {
  b <- coef(fit); v <- vcov(fit); se <- sqrt(diag(v)); z <- qnorm(0.975)
  for (i in seq_along(b)) {
    put(dataset, paramcd, analysis, ties, "coef", b[i], term = i)
    put(dataset, paramcd, analysis, ties, "se", se[i], term = i)
    put(dataset, paramcd, analysis, ties, "hr", exp(b[i]), term = i)
    put(dataset, paramcd, analysis, ties, "hr_lcl", exp(b[i] - z * se[i]), term = i)
    put(dataset, paramcd, analysis, ties, "hr_ucl", exp(b[i] + z * se[i]), term = i)
    put(dataset, paramcd, analysis, ties, "p_wald", 2 * pnorm(-abs(b[i] / se[i])), term = i)
  }
  put(dataset, paramcd, analysis, ties, "loglik", fit$loglik[2])
  put(dataset, paramcd, analysis, ties, "loglik_null", fit$loglik[1])
  lr <- 2 * (fit$loglik[2] - reduced_loglik)
  put(dataset, paramcd, analysis, ties, "lr_chisq", lr)
  put(dataset, paramcd, analysis, ties, "lr_p", pchisq(lr, tested_df, lower.tail = FALSE))
  put(dataset, paramcd, analysis, ties, "n", fit$n)
  put(dataset, paramcd, analysis, ties, "events", fit$nevent)
  zph <- cox.zph(fit)$table  # survival 3.x: score test, transform "km", per term then GLOBAL
  for (i in seq_len(nrow(zph))) {
    term <- if (rownames(zph)[i] == "GLOBAL") "GLOBAL" else i
    put(dataset, paramcd, analysis, ties, "zph_chisq", zph[i, "chisq"], term = term)
    put(dataset, paramcd, analysis, ties, "zph_df", zph[i, "df"], term = term)
    put(dataset, paramcd, analysis, ties, "zph_p", zph[i, "p"], term = term)
  }
}

arms <- c("Placebo", "Aldesleukin 2 MIU")
for (paramcd in c("OS640", "OS", "DTHTRV")) {
  d <- tte[tte$PARAMCD == paramcd, ]
  d$trt <- factor(d$TRT01P, levels = arms)
  d$event <- 1 - d$CNSR
  d$high <- ifelse(is.na(d$PNFHGR1), NA, as.numeric(d$PNFHGR1 == ">3700 pg/mL"))
  for (ties in c("efron", "breslow")) {
    cph <- function(f, data = d) coxph(f, data = data, ties = ties, x = TRUE, model = TRUE)
    m <- cph(Surv(AVAL, event) ~ trt)
    cox_numbers("mirocals", paramcd, "cox_unadjusted", ties, m, m$loglik[1], 1)
    m <- cph(Surv(AVAL, event) ~ trt + strata(STRATAR))
    cox_numbers("mirocals", paramcd, "cox_stratified", ties, m, m$loglik[1], 1)
    cc <- d[complete.cases(d[, c("STRAT2R", "STRAT1R", "AGE", "ALSFRSBL", "PNFHBL")]), ]
    m <- cph(Surv(AVAL, event) ~ trt + STRAT2R + STRAT1R + AGE + ALSFRSBL + log(PNFHBL), cc)
    r <- cph(Surv(AVAL, event) ~ STRAT2R + STRAT1R + AGE + ALSFRSBL + log(PNFHBL), cc)
    cox_numbers("mirocals", paramcd, "cox_adjusted", ties, m, r$loglik[2], 1)
    for (g in list(c("cox_pnfh_low", "<=3700 pg/mL"), c("cox_pnfh_high", ">3700 pg/mL"))) {
      m <- cph(Surv(AVAL, event) ~ trt, d[!is.na(d$PNFHGR1) & d$PNFHGR1 == g[2], ])
      cox_numbers("mirocals", paramcd, g[1], ties, m, m$loglik[1], 1)
    }
    cc <- d[!is.na(d$high), ]
    m <- cph(Surv(AVAL, event) ~ trt * high, cc)
    r <- cph(Surv(AVAL, event) ~ trt + high, cc)
    cox_numbers("mirocals", paramcd, "cox_pnfh_interaction", ties, m, r$loglik[2], 1)
    b <- coef(m); v <- vcov(m); z <- qnorm(0.975)
    both <- b[1] + b[3]; se_both <- sqrt(v[1, 1] + v[3, 3] + 2 * v[1, 3])
    put("mirocals", paramcd, "cox_pnfh_interaction", ties, "hr_high", exp(both))
    put("mirocals", paramcd, "cox_pnfh_interaction", ties, "hr_high_lcl", exp(both - z * se_both))
    put("mirocals", paramcd, "cox_pnfh_interaction", ties, "hr_high_ucl", exp(both + z * se_both))
    put("mirocals", paramcd, "cox_pnfh_interaction", ties, "hr_high_p", 2 * pnorm(-abs(both / se_both)))
    cc <- d[!is.na(d$PNFHBL), ]
    m <- cph(Surv(AVAL, event) ~ trt + log(PNFHBL), cc)
    r <- cph(Surv(AVAL, event) ~ log(PNFHBL), cc)
    cox_numbers("mirocals", paramcd, "cox_log_pnfh", ties, m, r$loglik[2], 1)
  }
  km <- survfit(Surv(AVAL, event) ~ trt, d, conf.type = "log-log")
  s <- summary(km, times = c(180, 365, 640), extend = TRUE, rmean = 640)
  for (i in seq_along(s$time)) {
    arm <- sub("^trt=", "", as.character(s$strata[i]))
    if (s$time[i] <= max(d$AVAL[d$trt == arm])) {
      put("mirocals", paramcd, "km", "", "survival", s$surv[i], arm, s$time[i])
      put("mirocals", paramcd, "km", "", "survival_lcl", s$lower[i], arm, s$time[i])
      put("mirocals", paramcd, "km", "", "survival_ucl", s$upper[i], arm, s$time[i])
    }
  }
  tab <- s$table
  for (i in seq_along(arms)) {
    for (q in c("median", "0.95LCL", "0.95UCL", "rmean", "se(rmean)")) put("mirocals", paramcd, "km", "", q, tab[i, q], arms[i])
  }
  lr <- survdiff(Surv(AVAL, event) ~ trt, d)
  put("mirocals", paramcd, "logrank", "", "chisq", lr$chisq)
  lr <- survdiff(Surv(AVAL, event) ~ trt + strata(STRATAR), d)
  put("mirocals", paramcd, "logrank_stratified", "", "chisq", lr$chisq)
}

syn$arm <- factor(syn$arm, levels = c("P", "A", "B"))
for (ties in c("efron", "breslow")) {
  m <- coxph(Surv(time, event) ~ arm, syn, ties = ties, x = TRUE, model = TRUE)
  cox_numbers("synthetic", "", "cox_unadjusted", ties, m, m$loglik[1], 2)
  m <- coxph(Surv(time, event) ~ arm + age + site + strata(s), syn, ties = ties, x = TRUE, model = TRUE)
  r <- coxph(Surv(time, event) ~ age + site + strata(s), syn, ties = ties)
  cox_numbers("synthetic", "", "cox_adjusted_stratified", ties, m, r$loglik[2], 2)
}

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "survival_expected.csv"), row.names = FALSE, quote = TRUE)
cat(sprintf("%d reference numbers; %s, survival %s\n", nrow(out), R.version.string, packageVersion("survival")))
