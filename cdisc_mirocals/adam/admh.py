"""ADMH: one record per MH record (OCCDS), traceable through MHSEQ (methods MT.ADMH.*).

ASTDT imputes a partial start date to the first day of its period (admiral's ADMH template); ADSL
ONSETDT, a covariate, keeps its own mid-period rule. ACAT1 names the history category for analysis
(ALS history apart from other conditions) through the codelist ACAT1.ADMH, whose decodes are the MHCAT
terms. ANL01FL keeps the conditions the subject had: a pre-specified condition answered 'N' (MHOCCUR)
is not a history of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.adsl import predecessors
from cdisc_mirocals.adam.derive import derive_vars_dt, derive_vars_dy, derive_vars_merged
from cdisc_mirocals.spec import Spec

KEYS = ["STUDYID", "USUBJID"]
DATASET = "ADMH"
NOT_OCCURRED = "N"  # MHOCCUR (codelist NY)


def derive_admh(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    mh = sdtm["MH"][list(predecessors(spec, DATASET, "MH").values())]
    from_adsl = {k: v for k, v in predecessors(spec, DATASET, "ADSL").items() if k not in KEYS}
    admh = derive_vars_merged(mh, adsl, by_vars=KEYS, new_vars=from_adsl)
    admh = derive_vars_dt(admh, new_vars_prefix="AST", dtc="MHSTDTC", highest_imputation="M",
                          date_imputation="first")
    admh = derive_vars_dy(admh, reference_date="TRTSDT", source_vars={"ASTDY": "ASTDT"})
    categories = {t.decode: t.term for t in spec.adam.codelists["ACAT1.ADMH"].terms}
    unknown = sorted(set(admh["MHCAT"].dropna()) - set(categories) - {""})
    if unknown:
        raise ValueError(f"ADMH: MHCAT {', '.join(unknown)} has no ACAT1 in codelist ACAT1.ADMH of specs/adam")
    admh["ACAT1"] = admh["MHCAT"].map(categories).fillna("")
    admh["ANL01FL"] = np.where(admh["MHOCCUR"].fillna("") != NOT_OCCURRED, "Y", "")
    return admh.sort_values(["USUBJID", "MHSEQ"], kind="stable").reset_index(drop=True)
