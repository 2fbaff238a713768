"""ADAE: one record per AE record, traceable through AESEQ (methods MT.ADAE.*)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.adam.codes import derive_var_code
from cdisc_mirocals.adam.derive import (derive_var_extreme_flag, derive_var_trtemfl, derive_vars_ae_dates,
                                        derive_vars_duration, derive_vars_dy, derive_vars_merged)
from cdisc_mirocals.adam.adsl import predecessors
from cdisc_mirocals.emergence import emergence_window
from cdisc_mirocals.spec import Spec

KEYS = ["STUDYID", "USUBJID"]
RELATED = {"NOT RELATED": "NOT RELATED", "UNLIKELY RELATED": "NOT RELATED"}  # all else, missing too: RELATED


def derive_adae(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    # ADAE carries the AE variables the spec names as predecessors, and no others.
    ae = sdtm["AE"][list(predecessors(spec, "ADAE", "AE").values())]
    from_adsl = {k: v for k, v in predecessors(spec, "ADAE", "ADSL").items() if k not in KEYS}
    adae = derive_vars_merged(ae, adsl, by_vars=KEYS, new_vars={**from_adsl, "DTHDT": "DTHDT"})
    adae["_CUTOFF"] = pd.Timestamp(spec.study["recruitment"]["data_cutoff"])
    adae = derive_vars_ae_dates(adae, trt_start_date="TRTSDT", max_dates=["DTHDT", "_CUTOFF"])
    adae = derive_vars_dy(adae, reference_date="TRTSDT", source_vars={"ASTDY": "ASTDT", "AENDY": "AENDT"})
    adae = derive_vars_duration(adae, new_var="ADURN", new_var_unit="ADURU", start_date="ASTDT", end_date="AENDT",
                                unit_value=spec.adam.codelists["UNIT"].values[0])
    # One rule with SDTM SUPPAE.AETRTEM (cdisc_mirocals.emergence)
    adae = derive_var_trtemfl(adae, trt_end_date="TRTEDT", end_window=emergence_window(spec.study), end_date="AENDT")
    adae["ASEV"] = adae["AESEV"].replace("", "SEVERE")
    adae = derive_var_code(adae, spec.adam, source_var="ASEV", new_var="ASEVN", codelist="ASEVN")
    adae["AREL"] = adae["AEREL"].map(RELATED).fillna("RELATED")
    adae = derive_var_code(adae, spec.adam, source_var="AREL", new_var="ARELN", codelist="ARELN")
    emergent = lambda d: d["TRTEMFL"] == "Y"  # noqa: E731
    for new_var, by_vars in (("AOCCFL", ["USUBJID"]), ("AOCCSFL", ["USUBJID", "AEBODSYS"]),
                             ("AOCCPFL", ["USUBJID", "AEBODSYS", "AEDECOD"])):
        adae = derive_var_extreme_flag(adae, by_vars=by_vars, order=["ASTDT", "AESEQ"], new_var=new_var,
                                       filter=emergent)
    return adae.drop(columns=["_CUTOFF", "DTHDT"])
