"""Regulatory T cells (ADLB): change from baseline at each analysis visit and time point of the cycle,
by ANCOVA (ancova.py) of CHG on the treatment, the baseline value and the randomisation strata, in the
analysis population by planned treatment.

    TREG/<PARAMCD>   rows 'lsmean' (per arm) and 'difference' (each arm - the reference), one set per
                     visit and time point (term 'MONTH 2, END OF CYCLE'; time = AVISITN)

Records: ANL01FL = 'Y' with a CHG (post-baseline, with a baseline). A visit where a model cannot be
fitted (too few subjects, one arm) is left out with a note.
"""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.analysis.ancova import fit_ancova, lsmeans
from cdisc_mirocals.analysis.data import Dataset, Options, population_label
from cdisc_mirocals.analysis.result import Result, summary_frame

TITLE = "Change from baseline in {param}: ANCOVA by visit"


def analysis_frame(adlb: pd.DataFrame, paramcd: str, options: Options) -> pd.DataFrame:
    """The records an ANCOVA of `paramcd` uses, with the arm in column 'arm'."""
    f = adlb[(adlb["PARAMCD"] == paramcd) & (adlb["ANL01FL"] == "Y") & adlb["CHG"].notna()
             & (adlb[options.population] == "Y")]
    return f.assign(arm=f[options.treatment_var])


def _arms(frame: pd.DataFrame, options: Options) -> list[str]:
    present = sorted(set(frame["arm"]) - {""})
    return [options.reference] + [a for a in present if a != options.reference] if options.reference in present else present


def treg_ancova(adlb: Dataset | None, options: Options) -> dict[str, Result]:
    results = {}
    covariates, factors = list(options.treg_covariates), list(options.treg_factors)
    terms = " + ".join([options.treatment_var, *covariates, *factors])
    method = (f"ANCOVA of CHG ~ {terms} at each analysis visit and time point (ordinary least squares); LS means "
              f"with covariates at their mean and factor levels weighted equally; {100 * (1 - options.alpha):g}% "
              "CI and test on the residual degrees of freedom")
    for paramcd in options.treg_params:
        key = f"TREG/{paramcd}"
        if adlb is None:
            results[key] = Result.skip(key, TITLE.format(param=paramcd), method, "no adlb.xpt in the ADaM folder")
            continue
        frame = analysis_frame(adlb.frame, paramcd, options)
        param = adlb.frame.loc[adlb.frame["PARAMCD"] == paramcd, "PARAM"] if "PARAM" in adlb.frame else ()
        title = TITLE.format(param=param.iloc[0] if len(param) else paramcd)
        arms = _arms(frame, options)
        if len(arms) < 2 or arms[0] != options.reference:
            results[key] = Result.skip(key, title, method, f"ADLB has no {paramcd} changes in two arms with the "
                                       f"reference {options.reference}")
            continue
        rows, notes = [], []
        for (visitn, tptn, visit, tpt), part in frame.groupby(["AVISITN", "ATPTN", "AVISIT", "ATPT"], sort=True):
            term = f"{visit}, {tpt}" if tpt else visit
            try:
                fit = fit_ancova(part, response="CHG", arm_var="arm", arms=arms, covariates=covariates,
                                 factors=factors)
            except ValueError as exc:
                notes.append(f"{term}: not analysed ({exc})")
                continue
            counts = part.dropna(subset=["CHG", *covariates]).groupby("arm").size()
            for r in lsmeans(fit, arms, options.alpha):
                rows.append({**r, "term": term, "time": visitn, "n": counts.get(r["group"], fit.n)
                             if r["name"] == "lsmean" else fit.n})
        results[key] = Result(key, title, method, summary_frame(rows), population_label(adlb.labels, options.population),
                              int(frame["USUBJID"].nunique()), None,
                              {"paramcd": paramcd, "arms": arms, "treatment_var": options.treatment_var,
                               "covariates": covariates, "factors": factors, "confidence_level": 1 - options.alpha},
                              notes)
    return results
