"""ADCM: one record per CM record (OCCDS), traceable through CMSEQ (methods MT.ADCM.*).

Dates follow admiral's ADCM template: a partial start date is imputed to the first day of its period,
or to the first dose when the period holds it (so a medication started in the month of the first
injection counts as concomitant, the conservative choice); a partial end date to the last day of its
period, but not after death or the end of study. Prior (PREFL) and on-treatment (ONTRTFL) flags are
relative to ADSL TRTSDT and TRTEDT. The protocol's background therapy (study.toml [trial_summary]
CURTRT, riluzole) is grouped by CQ01NAM, and THRTRTFL says a medication was taken from the first
injection to the last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.adsl import predecessors
from cdisc_mirocals.adam.derive import derive_var_ontrtfl, derive_vars_dt, derive_vars_dy, derive_vars_merged
from cdisc_mirocals.spec import Spec

KEYS = ["STUDYID", "USUBJID"]
DATASET = "ADCM"
ONGOING = "ONGOING"  # CMENRTPT term (codelist ENRTPT): still taken at the end of the subject's study


def derive_adcm(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    cm = sdtm["CM"][list(predecessors(spec, DATASET, "CM").values())]
    from_adsl = {k: v for k, v in predecessors(spec, DATASET, "ADSL").items() if k not in KEYS}
    adcm = derive_vars_merged(cm, adsl, by_vars=KEYS, new_vars={**from_adsl, "_DTHDT": "DTHDT", "_EOSDT": "EOSDT"})
    adcm = derive_vars_dt(adcm, new_vars_prefix="AST", dtc="CMSTDTC", highest_imputation="M",
                          date_imputation="first", min_dates=["TRTSDT"])
    adcm = derive_vars_dt(adcm, new_vars_prefix="AEN", dtc="CMENDTC", highest_imputation="M",
                          date_imputation="last", max_dates=["_DTHDT", "_EOSDT"])
    adcm = derive_vars_dy(adcm, reference_date="TRTSDT", source_vars={"ASTDY": "ASTDT", "AENDY": "AENDT"})
    adcm["PREFL"] = np.where(adcm["ASTDT"] < adcm["TRTSDT"], "Y", "")
    adcm = derive_var_ontrtfl(adcm, start_date="ASTDT", end_date="AENDT", ref_start_date="TRTSDT",
                              ref_end_date="TRTEDT", span_period=True)
    ongoing = adcm["AENDT"].isna() & (adcm["CMENRTPT"] == ONGOING)
    throughout = (adcm["ASTDT"] <= adcm["TRTSDT"]) & ((adcm["AENDT"] >= adcm["TRTEDT"]) | ongoing)
    adcm["THRTRTFL"] = np.where(throughout & adcm["TRTSDT"].notna(), "Y", "")
    background = spec.study["trial_summary"]["CURTRT"]
    adcm["CQ01NAM"] = np.where(adcm["CMDECOD"].astype("string").str.casefold() == background.casefold(),
                               background, "")
    adcm = adcm.drop(columns=["_DTHDT", "_EOSDT"])
    return adcm.sort_values(["USUBJID", "CMSEQ"], kind="stable").reset_index(drop=True)
