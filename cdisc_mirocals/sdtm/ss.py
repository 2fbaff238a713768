"""SS: survival status of each randomised subject at the last vital-status contact (MT.SS, COM.SS)."""

import numpy as np
import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_epoch
from cdisc_mirocals.sdtm.context import Context


def _status(ctx: Context, raw: pd.DataFrame, result, dtc: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ctx.usubjid(raw["SUBJID"]), "SSORRES": result, "SSDTC": dtc,
                         "_FORM": raw["_FORM"], "_LINE": raw["_LINE"]}, index=raw.index)


def map_ss(ctx: Context) -> pd.DataFrame:
    death, eos = ctx.form("DEATH"), ctx.form("EOS")
    # Screen failures have no vital-status follow-up; their EOS record is mapped to DS.
    eos = eos[eos["SUBJID"].str.strip().isin(ctx.raw["RAND"]["SUBJID"].str.strip())]
    eos = eos[~eos["SUBJID"].str.strip().isin(death["SUBJID"].str.strip())]
    # A study ended by death without a death report still says DEAD, as of the end of study.
    dead = (ctx.ct(eos, "EOSSTAT", "NCOMPLT") == "DEATH").fillna(False).to_numpy()
    ss = pd.concat([
        _status(ctx, death, "DEAD", death["DTHDAT"]),
        _status(ctx, eos, np.where(dead, "DEAD", "ALIVE"), eos["EOSDAT"].where(dead, eos["LSTALVDT"])),
    ], ignore_index=True)
    ss = ss.assign(STUDYID=ctx.studyid, DOMAIN="SS", SSTESTCD="SURVSTAT", SSSTRESC=ss["SSORRES"])
    ss["SSTEST"] = ss["SSTESTCD"].map(ctx.spec.sdtm.codelists["SSTESTCD"].decode)
    ss = derive_var_epoch(ss, ctx.datasets["SE"], dtc_var="SSDTC")
    ss = ctx.study_days(ss, {"SSDY": "SSDTC"})
    return ctx.number_records(ss, "SS")
