"""SUPPAE: qualifiers of AE records (COM.SUPPAE). Every AE record gets its treatment-emergent flag,
QNAM AETRTEM (MT.SUPPAE.AETRTEM), by the rule ADAE's TRTEMFL uses (`cdisc_mirocals.emergence`), with
DM's first and last exposure in place of ADSL's TRTSDT and TRTEDT. The continuation of a reported term
longer than 200 characters is added for every domain after mapping (`longtext.py`)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.dates import to_date
from cdisc_mirocals.emergence import derive_var_trtemfl, derive_vars_ae_dates, emergence_window
from cdisc_mirocals.sdtm.context import Context

QNAM, IDVAR = "AETRTEM", "AESEQ"


def map_suppae(ctx: Context) -> pd.DataFrame:
    ae, dm = ctx.datasets["AE"], ctx.datasets["DM"]
    exposure = pd.DataFrame({"USUBJID": dm["USUBJID"], "TRTSDT": to_date(dm["RFXSTDTC"]),
                             "TRTEDT": to_date(dm["RFXENDTC"]), "DTHDT": to_date(dm["DTHDTC"])})
    records = ae[["USUBJID", IDVAR, "AESTDTC", "AEENDTC", "_FORM", "_LINE"]].merge(
        exposure, on="USUBJID", how="left", validate="many_to_one")
    records["_CUTOFF"] = pd.Timestamp(ctx.spec.study["recruitment"]["data_cutoff"])
    records = derive_vars_ae_dates(records, trt_start_date="TRTSDT", max_dates=["DTHDT", "_CUTOFF"])
    records = derive_var_trtemfl(records, new_var="QVAL", trt_end_date="TRTEDT", end_date="AENDT",
                                 end_window=emergence_window(ctx.spec.study), true_value="Y", false_value="N")
    vlm = next(v for v in ctx.spec.sdtm.valuelevel
               if v.dataset == "SUPPAE" and v.variable == "QVAL" and v.where[0].values == (QNAM,))
    return pd.DataFrame({
        "STUDYID": ctx.studyid, "RDOMAIN": "AE", "USUBJID": records["USUBJID"], "IDVAR": IDVAR,
        "IDVARVAL": records[IDVAR].astype(int).astype(str), "QNAM": QNAM,
        # QEVAL stays null: SDTMIG 3.4 (section 8.4.1) keeps it for subjective results, not derived ones.
        "QLABEL": ctx.spec.sdtm.codelists["QNAM_AE"].decode(QNAM), "QVAL": records["QVAL"], "QORIG": vlm.origin,
        "_FORM": records["_FORM"], "_LINE": records["_LINE"],
    })
