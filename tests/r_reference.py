"""Python's numbers for the rows of tests/reference/r/survival_expected.csv (see survival_reference.R),
so the test and the measurement script compare the same things."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_mirocals.analysis.cox import cox
from cdisc_mirocals.analysis.data import Dataset, load_param
from cdisc_mirocals.analysis.survival import analyse

REF = Path(__file__).resolve().parent / "reference" / "r"


def expected() -> pd.DataFrame:
    """The R numbers; R's NA (e.g. a median not reached) is NaN."""
    exp = pd.read_csv(REF / "survival_expected.csv", dtype={"group": str, "term": str, "paramcd": str, "ties": str},
                      keep_default_na=False)
    return exp.assign(value=pd.to_numeric(exp["value"].replace("NA", np.nan)))


def mirocals_input() -> pd.DataFrame:
    return pd.read_csv(REF / "mirocals_tte.csv", keep_default_na=False, na_values={
        c: [""] for c in ("STRATAR", "STRAT1R", "STRAT2R", "PNFHGR1", "PNFHBL", "PNFHGR1N", "AGE", "ALSFRSBL")})


def _coefficients(result) -> list[pd.Series]:
    """The summary rows of the model's coefficients, in model-matrix order (R's coef order)."""
    s = result.summary
    out = []
    for col in result.parameters["columns"]:
        if col.startswith("trt") and ":" in col:
            out.append(s[s["name"] == "interaction"].iloc[0])
        elif col.startswith("trt"):
            name = "hr_low" if result.parameters["subgroup"] else "hr"
            out.append(s[(s["name"] == name)].iloc[int(col[3:]) - 1])
        else:
            out.append(s[(s["name"] == "covariate_hr") & (s["term"] == col)].iloc[0])
    return out


def cox_value(result, quantity: str, term: str) -> float:
    if quantity in ("loglik", "loglik_null"):
        return result.parameters[quantity]
    if quantity in ("n", "events"):
        return getattr(result, quantity)
    if quantity in ("lr_chisq", "lr_p"):
        return result.get("lr", "statistic" if quantity == "lr_chisq" else "p")
    if quantity.startswith("zph_"):
        col = {"zph_chisq": "statistic", "zph_df": "df", "zph_p": "p"}[quantity]
        if term == "GLOBAL":
            return result.get("ph_global", col)
        return result.rows("ph").iloc[int(term) - 1][col]
    if quantity.startswith("hr_high"):
        col = {"hr_high": "estimate", "hr_high_lcl": "ci_lower", "hr_high_ucl": "ci_upper", "hr_high_p": "p"}[quantity]
        return result.get("hr_high", col)
    row = _coefficients(result)[int(term) - 1]
    return {"coef": np.log(row["estimate"]), "se": row["se"], "hr": row["estimate"], "hr_lcl": row["ci_lower"],
            "hr_ucl": row["ci_upper"], "p_wald": row["p"]}[quantity]


def km_value(results, quantity: str, group: str, term: str) -> float:
    km, rmst = results["km"], results["rmst"]
    if quantity.startswith("survival"):
        col = {"survival": "estimate", "survival_lcl": "ci_lower", "survival_ucl": "ci_upper"}[quantity]
        return km.get("survival", col, group=group, time=float(term))
    if quantity in ("median", "0.95LCL", "0.95UCL"):
        col = {"median": "estimate", "0.95LCL": "ci_lower", "0.95UCL": "ci_upper"}[quantity]
        return km.get("median", col, group=group)
    return rmst.get("rmst", "estimate" if quantity == "rmean" else "se", group=group)


def python_values(options_for) -> pd.DataFrame:
    """`expected()` with a `python` column. `options_for(ties)` gives the study's Options."""
    exp = expected()
    tte = mirocals_input()
    fits = {}
    for ties in ("efron", "breslow"):
        options = options_for(ties)
        adtte = Dataset("ADTTE", tte, {}, REF / "mirocals_tte.csv", "")
        for paramcd in ("OS640", "OS", "DTHTRV"):
            fits[("mirocals", paramcd, ties)] = analyse(load_param(adtte, None, paramcd, options)).results
    syn = pd.read_csv(REF / "synthetic_tte.csv")
    for ties in ("efron", "breslow"):
        fits[("synthetic", "", ties)] = {
            "cox_unadjusted": cox(syn, ["P", "A", "B"], key="S/cox_unadjusted", title="", ties=ties),
            "cox_adjusted_stratified": cox(syn, ["P", "A", "B"], key="S/cox_adjusted_stratified", title="",
                                           terms=["age", "site"], strata="s", ties=ties)}
    values = []
    for row in exp.itertuples():
        results = fits[(row.dataset, row.paramcd, row.ties or "efron")]
        if row.analysis == "km":
            values.append(km_value(results, row.quantity, row.group, row.term))
        elif row.analysis.startswith("logrank"):
            values.append(results[row.analysis].get("logrank", "statistic"))
        else:
            values.append(cox_value(results[row.analysis], row.quantity, row.term))
    return exp.assign(python=[np.nan if v is None else float(v) for v in values])
