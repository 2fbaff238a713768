"""CM: background riluzole and other prior/concomitant medications from the raw CM form (COM.CM)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.raw.schema import normalise
from cdisc_mirocals.sdtm.common import derive_var_epoch, derive_var_seq, derive_vars_dy
from cdisc_mirocals.sdtm.context import Context


def ongoing_at_study_end(ctx: Context, records: pd.DataFrame, ongo: str, end_dtc: str) -> tuple[pd.Series, pd.Series]:
    """MT.ENRTPT for AE and CM: (--ENRTPT, --ENTPT) = ('ONGOING', EOS.EOSDAT) when the raw `ongo` field
    says Yes and no end date was collected; null otherwise."""
    eos = ctx.raw["EOS"]
    eosdat = records["SUBJID"].str.strip().map(dict(zip(eos["SUBJID"].str.strip(), eos["EOSDAT"])))
    ongoing = (ctx.ct(records, ongo, "NY") == "Y").fillna(False) & records[end_dtc].isna()
    return pd.Series("ONGOING", index=records.index).where(ongoing), eosdat.where(ongoing)


def map_cm(ctx: Context) -> pd.DataFrame:
    cm = ctx.drop_screen_failures(ctx.form("CM"))
    decod = cm["CMDECOD"].str.strip()
    enrtpt, entpt = ongoing_at_study_end(ctx, cm, "CMONGO", "CMENDAT")
    out = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "CM", "USUBJID": ctx.usubjid(cm["SUBJID"]),
        "CMSPID": cm["CMSPID"].astype("string"), "CMTRT": cm["CMTRT"].str.strip(), "CMDECOD": decod,
        # MT.CMCAT: riluzole is identified by its WHODrug name, whatever the verbatim (Rilutek, ...).
        "CMCAT": np.where(normalise(decod.fillna("")) == "riluzole", "RILUZOLE", "CONCOMITANT MEDICATION"),
        "CMINDC": cm["CMINDC"].str.strip(), "CMDOSE": cm["CMDOSE"].astype("float64"),
        "CMDOSU": ctx.ct(cm, "CMDOSU", "UNIT_CM"), "CMDOSFRQ": ctx.ct(cm, "CMDOSFRQ", "FREQ"),
        "CMROUTE": ctx.ct(cm, "CMROUTE", "ROUTE"),
        "CMSTDTC": cm["CMSTDAT"], "CMENDTC": cm["CMENDAT"], "CMENRTPT": enrtpt, "CMENTPT": entpt,
        "_FORM": cm["_FORM"], "_LINE": cm["_LINE"],
    })
    out = derive_var_epoch(out, ctx.datasets["SE"], dtc_var="CMSTDTC")
    out = derive_vars_dy(out, ctx.datasets["DM"], dtc_vars={"CMSTDTC": "CMSTDY", "CMENDTC": "CMENDY"})
    return derive_var_seq(out, new_var="CMSEQ", order=["CMTRT", "CMSTDTC", "CMSPID"])
