# Reference values for tests/test_analysis_bds_r_reference.py: the secondary efficacy analyses with R's nlme
# (lme, gls) and base R (wilcox.test).
#
#   Rscript tests/reference/r/bds_reference.R OUT/m5/datasets/mirocals/analysis/adam/datasets
#
# run from the project root on the default study (cdisc-mirocals convert --out OUT). Made with R 4.2.2 and
# nlme 3.1 (Debian bookworm: apt-get install r-base-core r-cran-nlme r-cran-haven).
# Writes, next to this script:
#   bds_input.csv     the analysis records of ALSFRST (ADQS) and SVCPP (ADRE): ITTFL = 'Y', ANL01FL = 'Y',
#                     the baseline and the visits to month 18, with months since randomisation; and, one
#                     record per subject, OS640 (ADTTE) for CAFS: the exact input of every number below
#   bds_expected.csv  one number per row: paramcd, analysis, quantity, term, value
# Satterthwaite's df are not in nlme: they are computed here from their definition, df = 2 (l'Cl)^2 /
# (g' A g), with A = 2 H^-1, H the numerical Hessian (optimHess) of -2 REML log-likelihood in the
# distinct elements of the covariance matrix that gls estimated, and g the numerical gradient of l'Cl.
suppressPackageStartupMessages({library(nlme); library(haven)})
args <- commandArgs(trailingOnly = TRUE)
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
adam <- if (length(args)) args[1] else "out/m5/datasets/mirocals/analysis/adam/datasets"
visits <- c("MONTH 2", "MONTH 4", "MONTH 6", "MONTH 9", "MONTH 12", "MONTH 15", "MONTH 18")

records <- function(file, paramcd) {
  d <- as.data.frame(read_xpt(file.path(adam, file)))
  d <- d[d$PARAMCD == paramcd & d$ITTFL == "Y" & d$ANL01FL == "Y" & !is.na(d$AVAL), ]
  d <- d[d$ABLFL == "Y" | d$AVISIT %in% visits, ]
  data.frame(PARAMCD = paramcd, USUBJID = d$USUBJID, TRT01P = d$TRT01P, treated = as.integer(d$TRT01P != "Placebo"),
             ABLFL = d$ABLFL, AVISIT = d$AVISIT, AVISITN = d$AVISITN,
             months = as.numeric(d$ADT - d$RANDDT) / 30.4375, AVAL = d$AVAL, BASE = d$BASE, CHG = d$CHG)
}
bds <- rbind(records("adqs.xpt", "ALSFRST"), records("adre.xpt", "SVCPP"))
tte <- as.data.frame(read_xpt(file.path(adam, "adtte.xpt")))
tte <- tte[tte$PARAMCD == "OS640" & tte$ITTFL == "Y", ]
os <- data.frame(PARAMCD = "OS640", USUBJID = tte$USUBJID, TRT01P = tte$TRT01P,
                 treated = as.integer(tte$TRT01P != "Placebo"), ABLFL = "", AVISIT = "", AVISITN = NA, months = NA,
                 AVAL = tte$AVAL, BASE = NA, CHG = 1 - tte$CNSR)  # CHG holds the death indicator here
input <- rbind(bds, os)
input <- input[order(input$PARAMCD, input$USUBJID, input$AVISITN), ]
write.csv(input, file.path(here, "bds_input.csv"), row.names = FALSE, na = "")
# every number below is computed from the file as written (15 significant digits), as the Python test reads it:
# two prorated ALSFRS-R changes equal in memory must stay equal, or CAFS's ties would differ
input <- read.csv(file.path(here, "bds_input.csv"), na.strings = "")
input$ABLFL[is.na(input$ABLFL)] <- ""
bds <- input[input$PARAMCD != "OS640", ]
tte <- input[input$PARAMCD == "OS640", ]
tte$CNSR <- 1 - tte$CHG

rows <- list()
put <- function(paramcd, analysis, quantity, value, term = "") {
  rows[[length(rows) + 1]] <<- data.frame(paramcd = paramcd, analysis = analysis, quantity = quantity, term = term,
                                          value = sprintf("%.17g", value))
}

for (code in c("ALSFRST", "SVCPP")) {
  d <- bds[bds$PARAMCD == code, ]
  # rate of decline: random intercept and slope, REML
  f <- lme(AVAL ~ months * treated, random = ~ months | USUBJID, data = d, method = "REML",
           control = lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-12, niterEM = 0, msTol = 1e-14))
  b <- fixef(f); v <- vcov(f)
  for (i in seq_along(b)) {
    put(code, "slope", "coef", b[i], names(b)[i]); put(code, "slope", "se", sqrt(v[i, i]), names(b)[i])
  }
  put(code, "slope", "loglik", as.numeric(logLik(f)))
  diff_se <- sqrt(v[4, 4])
  put(code, "slope", "diff_lcl", b[4] - qnorm(0.975) * diff_se); put(code, "slope", "diff_ucl", b[4] + qnorm(0.975) * diff_se)
  put(code, "slope", "diff_p", 2 * pnorm(-abs(b[4] / diff_se)))
  put(code, "slope", "slope_active", b[2] + b[4]); put(code, "slope", "slope_active_se", sqrt(v[2, 2] + v[4, 4] + 2 * v[2, 4]))
  g <- getVarCov(f)
  put(code, "slope", "G11", g[1, 1]); put(code, "slope", "G21", g[2, 1]); put(code, "slope", "G22", g[2, 2])
  put(code, "slope", "sigma2", f$sigma^2)

  # MMRM: unstructured = corSymm + varIdent per visit, REML
  m <- d[d$AVISIT %in% visits & !is.na(d$CHG) & !is.na(d$BASE) & d$ABLFL != "Y", ]
  m$AVISIT <- factor(m$AVISIT, levels = visits); m$v <- as.integer(m$AVISIT)
  m <- m[order(m$USUBJID, m$v), ]
  fit <- gls(CHG ~ BASE + AVISIT * treated, data = m, correlation = corSymm(form = ~ v | USUBJID),
             weights = varIdent(form = ~ 1 | AVISIT), method = "REML",
             control = glsControl(opt = "optim", tolerance = 1e-12, msTol = 1e-14, msMaxIter = 2000, maxIter = 2000))
  put(code, "mmrm", "deviance", -2 * as.numeric(logLik(fit)))
  beta <- coef(fit); cb <- vcov(fit)
  for (i in seq_along(beta)) put(code, "mmrm", "coef", beta[i], names(beta)[i])
  # Sigma from a subject seen at every visit (the covariance is the same matrix for all)
  full <- names(which(table(m$USUBJID) == length(visits)))[1]
  sigma <- as.matrix(getVarCov(fit, individual = full))
  X <- model.matrix(CHG ~ BASE + AVISIT * treated, data = m)
  subj <- split(seq_len(nrow(m)), m$USUBJID)
  pieces <- function(s) {
    xwx <- 0; xwy <- 0; logdet <- 0; w <- list()
    for (k in seq_along(subj)) {
      r <- subj[[k]]; vi <- s[m$v[r], m$v[r], drop = FALSE]; wi <- solve(vi)
      logdet <- logdet + as.numeric(determinant(vi)$modulus)
      xwx <- xwx + t(X[r, , drop = FALSE]) %*% wi %*% X[r, , drop = FALSE]
      xwy <- xwy + t(X[r, , drop = FALSE]) %*% wi %*% m$CHG[r]; w[[k]] <- wi
    }
    cov <- solve(xwx); list(cov = cov, beta = cov %*% xwy, logdet = logdet, xwx = xwx, w = w)
  }
  unvech <- function(theta) { s <- matrix(0, 7, 7); s[lower.tri(s, TRUE)] <- theta; s + t(s) - diag(diag(s)) }
  deviance <- function(theta) {
    s <- unvech(theta); p <- pieces(s); q <- 0
    for (k in seq_along(subj)) { r <- subj[[k]]; e <- m$CHG[r] - X[r, , drop = FALSE] %*% p$beta; q <- q + t(e) %*% p$w[[k]] %*% e }
    p$logdet + as.numeric(determinant(p$xwx)$modulus) + as.numeric(q) + (nrow(X) - ncol(X)) * log(2 * pi)
  }
  theta <- sigma[lower.tri(sigma, TRUE)]
  put(code, "mmrm", "deviance_own", deviance(theta))
  # steps relative to each element (optimHess's default of 1e-3 absolute is too coarse for the covariances)
  A <- 2 * solve(optimHess(theta, deviance, control = list(ndeps = 1e-4 * pmax(abs(theta), 1e-3 * mean(diag(sigma))))))
  base_mean <- mean(m$BASE[!duplicated(m$USUBJID)])
  lsweights <- function(visit, trt) {
    w <- setNames(numeric(ncol(X)), colnames(X)); w["(Intercept)"] <- 1; w["BASE"] <- base_mean; w["treated"] <- trt
    if (visit != visits[1]) { w[paste0("AVISIT", visit)] <- 1; w[paste0("AVISIT", visit, ":treated")] <- trt }
    w
  }
  for (visit in visits) {
    for (trt in 0:1) {
      l <- lsweights(visit, trt)
      put(code, "mmrm", paste0("lsmean_", trt), sum(l * beta), visit)
      put(code, "mmrm", paste0("lsmean_se_", trt), sqrt(as.numeric(t(l) %*% cb %*% l)), visit)
    }
    l <- lsweights(visit, 1) - lsweights(visit, 0)
    phi <- function(th) as.numeric(t(l) %*% pieces(unvech(th))$cov %*% l)
    step <- 1e-4 * pmax(abs(theta), 1e-3 * mean(diag(sigma)))
    grad <- sapply(seq_along(theta), function(j) {
      up <- theta; dn <- theta; up[j] <- up[j] + step[j]; dn[j] <- dn[j] - step[j]; (phi(up) - phi(dn)) / (2 * step[j])
    })
    est <- sum(l * beta); se <- sqrt(as.numeric(t(l) %*% cb %*% l)); df <- 2 * phi(theta)^2 / as.numeric(t(grad) %*% A %*% grad)
    put(code, "mmrm", "diff", est, visit); put(code, "mmrm", "diff_se", se, visit); put(code, "mmrm", "diff_df", df, visit)
    put(code, "mmrm", "diff_p", 2 * pt(-abs(est / se), df), visit)
    put(code, "mmrm", "diff_lcl", est - qt(0.975, df) * se, visit)
  }
}

# CAFS: every pair compared on survival to day 640, else on ALSFRS-R change (month 18, or the last before it)
q <- bds[bds$PARAMCD == "ALSFRST" & bds$ABLFL != "Y" & !is.na(bds$CHG), ]
q <- q[order(q$USUBJID, q$AVISITN), ]
last_chg <- tapply(q$CHG, q$USUBJID, function(x) x[length(x)])
s <- data.frame(USUBJID = tte$USUBJID, arm = factor(tte$TRT01P, levels = c("Placebo", "Aldesleukin 2 MIU")),
                time = tte$AVAL, died = 1 - tte$CNSR)
s$chg <- as.numeric(last_chg[s$USUBJID])
n <- nrow(s); score <- numeric(n)
for (i in seq_len(n)) for (j in seq_len(n)) if (i != j) {
  ti <- s$time[i]; tj <- s$time[j]; di <- s$died[i] == 1; dj <- s$died[j] == 1
  out <- NA
  if (di && dj) out <- sign(ti - tj)
  else if (di && !dj && tj >= ti) out <- -1
  else if (!di && dj && ti >= tj) out <- 1
  if (is.na(out)) out <- if (is.na(s$chg[i]) || is.na(s$chg[j])) 0 else sign(round(s$chg[i] - s$chg[j], 9))
  score[i] <- score[i] + out
}
w <- wilcox.test(score ~ s$arm, exact = FALSE, correct = TRUE)
put("CAFS", "cafs", "W", w$statistic); put("CAFS", "cafs", "p", w$p.value)
put("CAFS", "cafs", "mean_0", mean(score[s$arm == "Placebo"])); put("CAFS", "cafs", "mean_1", mean(score[s$arm != "Placebo"]))
write.csv(do.call(rbind, rows), file.path(here, "bds_expected.csv"), row.names = FALSE)
