# Reference values for tests/test_analysis_bds.py, computed with R's lm (stats).
#
#   Rscript tests/reference/r/ancova_reference.R OUT/m5/datasets/mirocals/analysis/adam/datasets
#
# run from the project root on the default study (cdisc-mirocals convert --out OUT). Made with R 4 and
# haven (Debian: apt-get install r-base-core r-cran-haven). Writes, next to this script:
#   mirocals_treg.csv     the ADLB records the regulatory T-cell ANCOVAs use (ITTFL = 'Y', ANL01FL = 'Y',
#                         CHG not null, PARAMCD TLHRTLH or TLR): the exact input of every number below
#   ancova_expected.csv   one number per row: paramcd, avisitn, atpt, quantity, group, value
# Model at each visit and time point: lm(CHG ~ TRT01P + BASE + STRAT1R + STRAT2R), Placebo the reference.
# LS means as emmeans defines them: the mean of the model's predictions over a grid of every factor level
# (equal weights), BASE at its mean, computed from R's own model matrix, coefficients and vcov.
suppressPackageStartupMessages(library(haven))
args <- commandArgs(trailingOnly = TRUE)
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
adam <- if (length(args)) args[1] else "out/m5/datasets/mirocals/analysis/adam/datasets"

adlb <- as.data.frame(read_xpt(file.path(adam, "adlb.xpt")))
keep <- c("USUBJID", "PARAMCD", "AVISIT", "AVISITN", "ATPT", "ATPTN", "ITTFL", "ANL01FL", "TRT01P", "STRAT1R",
          "STRAT2R", "BASE", "CHG")
treg <- adlb[adlb$PARAMCD %in% c("TLHRTLH", "TLR") & adlb$ITTFL == "Y" & adlb$ANL01FL == "Y" & !is.na(adlb$CHG), keep]
treg <- treg[order(treg$PARAMCD, treg$AVISITN, treg$ATPTN, treg$USUBJID), ]
write.csv(treg, file.path(here, "mirocals_treg.csv"), row.names = FALSE, na = "")

rows <- list()
put <- function(paramcd, avisitn, atpt, quantity, value, group = "") {
  rows[[length(rows) + 1]] <<- data.frame(paramcd = paramcd, avisitn = avisitn, atpt = atpt, quantity = quantity,
                                          group = group, value = sprintf("%.17g", value))
}
arms <- c("Placebo", "Aldesleukin 2 MIU")
for (key in unique(paste(treg$PARAMCD, treg$AVISITN, treg$ATPT, sep = "|"))) {
  part <- treg[paste(treg$PARAMCD, treg$AVISITN, treg$ATPT, sep = "|") == key, ]
  p <- part$PARAMCD[1]; v <- part$AVISITN[1]; t <- part$ATPT[1]
  part$TRT01P <- factor(part$TRT01P, levels = arms)
  fit <- lm(CHG ~ TRT01P + BASE + STRAT1R + STRAT2R, data = part)
  s <- summary(fit)$coefficients
  term <- "TRT01PAldesleukin 2 MIU"
  ci <- confint(fit, term, level = 0.95)
  put(p, v, t, "difference", s[term, "Estimate"]); put(p, v, t, "difference_se", s[term, "Std. Error"])
  put(p, v, t, "difference_lcl", ci[1]); put(p, v, t, "difference_ucl", ci[2])
  put(p, v, t, "difference_t", s[term, "t value"]); put(p, v, t, "difference_p", s[term, "Pr(>|t|)"])
  put(p, v, t, "df", fit$df.residual); put(p, v, t, "n", nrow(part))
  for (arm in arms) {
    grid <- expand.grid(TRT01P = factor(arm, levels = arms), BASE = mean(part$BASE),
                        STRAT1R = sort(unique(part$STRAT1R)), STRAT2R = sort(unique(part$STRAT2R)))
    x <- colMeans(model.matrix(delete.response(terms(fit)), grid, xlev = fit$xlevels))
    est <- sum(x * coef(fit)); se <- sqrt(drop(t(x) %*% vcov(fit) %*% x))
    put(p, v, t, "lsmean", est, arm); put(p, v, t, "lsmean_se", se, arm)
    put(p, v, t, "n_arm", sum(part$TRT01P == arm), arm)
  }
}
write.csv(do.call(rbind, rows), file.path(here, "ancova_expected.csv"), row.names = FALSE)
cat(R.version.string, "\n")
