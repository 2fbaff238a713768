"""The steps every by-visit BDS dataset of this study shares once its AVAL records exist (ADQS, ADRE):
subject-level variables, analysis day and visit window, baseline, change, the analysis record flag and
ASEQ. Study days and baselines are relative to randomisation (ADSL.RANDDT), as ADSL's baselines are,
so that a subject randomised but never dosed keeps them in the ITT analyses.
"""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.adam.adsl import predecessors
from cdisc_mirocals.adam.derive import (derive_var_anl_flag, derive_var_base, derive_var_chg, derive_var_extreme_flag,
                                        derive_vars_dy, derive_vars_merged, derive_vars_visit_window, desc)
from cdisc_mirocals.spec import Spec, windows_for

KEYS = ["STUDYID", "USUBJID"]


def derive_bds_visits(dataset: pd.DataFrame, adsl: pd.DataFrame, spec: Spec, *, name: str) -> pd.DataFrame:
    """From records with STUDYID, USUBJID, PARAMCD, AVAL and ADT: the ITT subjects' records with the ADSL
    variables the spec names, ADY, the windows of `name`, ABLFL, BASE, CHG, ANL01FL and ASEQ."""
    itt = adsl[adsl["ITTFL"] == "Y"]
    out = dataset[dataset["USUBJID"].isin(itt["USUBJID"])]
    carried = {k: v for k, v in predecessors(spec, name, "ADSL").items() if k not in KEYS}
    # One ADSL variable may feed two (TRT01P gives TRT01P and TRTP in a one-period study).
    subject = itt[KEYS].assign(**{new: itt[source] for new, source in carried.items()}, _RANDDT=itt["RANDDT"])
    out = derive_vars_merged(out, subject, by_vars=KEYS)
    out = derive_vars_dy(out, reference_date="_RANDDT", source_vars={"ADY": "ADT"})
    out = derive_vars_visit_window(out, windows=windows_for(spec.windows, name), day_var="ADY")
    # Baseline: the last non-missing value on or before randomisation (MT.<name>.ABLFL).
    out = derive_var_extreme_flag(out, by_vars=["USUBJID", "PARAMCD"], order=["ADT", "_ORDER"], new_var="ABLFL",
                                  mode="last", filter=lambda d: d["AVAL"].notna() & (d["ADT"] <= d["_RANDDT"]))
    out = derive_var_base(out, by_vars=["USUBJID", "PARAMCD"])
    out = derive_var_chg(out, filter=lambda d: d["ADT"] > d["_RANDDT"])
    digits = spec.adam[name].variable("CHG").significant_digits
    if digits:  # AVAL - BASE of values with that many decimals, without the binary noise of the subtraction
        out["CHG"] = out["CHG"].round(int(digits))
    out = derive_var_anl_flag(out, by_vars=["USUBJID", "PARAMCD", "AVISITN"], order=["AWTDIFF", desc("ADT")],
                              filter=lambda d: (d["AVISIT"] != "") & d["AVAL"].notna() & (d["ABLFL"] != "Y")
                              & (d["ADT"] > d["_RANDDT"]))
    # The baseline record is the baseline visit's analysis record, wherever it fell.
    out["ANL01FL"] = out["ANL01FL"].where(out["ABLFL"] != "Y", "Y")
    out = out.sort_values(["USUBJID", "PARAMCD", "ADT", "_ORDER"], kind="stable")
    out["ASEQ"] = out.groupby("USUBJID", sort=False).cumcount().astype(float) + 1
    return out.drop(columns=["_RANDDT", "_ORDER"]).reset_index(drop=True)
