"""PR: the ALS milestone procedures of the raw TRACH form, one record per procedure (COM.PR)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_epoch
from cdisc_mirocals.sdtm.context import Context


def map_pr(ctx: Context) -> pd.DataFrame:
    trach = ctx.drop_screen_failures(ctx.form("TRACH"))
    pr = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "PR", "USUBJID": ctx.usubjid(trach["SUBJID"]),
        "PRTRT": trach["PRTRT"].str.strip().str.upper(), "PRDECOD": ctx.ct(trach, "PRTRT", "PROCEDUR"),
        "PRSTDTC": trach["PRSTDAT"], "_FORM": trach["_FORM"], "_LINE": trach["_LINE"],
    })
    pr = derive_var_epoch(pr, ctx.datasets["SE"], dtc_var="PRSTDTC")
    pr = ctx.study_days(pr, {"PRSTDY": "PRSTDTC"})
    return ctx.number_records(pr, "PR")
