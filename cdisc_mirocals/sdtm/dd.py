"""DD: primary cause of death and autopsy indicator for each death report (COM.DD, MT.DDSTRESC, MT.DDDTC)."""

import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_seq, derive_vars_dy
from cdisc_mirocals.sdtm.context import Context


def map_dd(ctx: Context) -> pd.DataFrame:
    death = ctx.form("DEATH")
    cause = death["DTHCAUS"].str.strip()
    autopsy = ctx.ct(death, "AUTOPSY", "NY")
    done = autopsy.notna()   # no record when autopsy was not answered
    tests = ctx.spec.sdtm.codelists["DTHDXCD"]
    dd = pd.concat([
        death.assign(DDTESTCD="PRCDTH", DDORRES=cause, DDSTRESC=cause.str.upper()),
        death[done].assign(DDTESTCD="AUTOPIND", DDORRES=autopsy[done], DDSTRESC=autopsy[done]),
    ], ignore_index=True)
    dd = dd.assign(STUDYID=ctx.studyid, DOMAIN="DD", USUBJID=ctx.usubjid(dd["SUBJID"]),
                   DDTEST=dd["DDTESTCD"].map(tests.decode), DDDTC=dd["DTHDAT"])
    dd = dd[["STUDYID", "DOMAIN", "USUBJID", "DDTESTCD", "DDTEST", "DDORRES", "DDSTRESC", "DDDTC", "_FORM", "_LINE"]]
    dd = derive_vars_dy(dd, ctx.datasets["DM"], dtc_vars={"DDDTC": "DDDY"})
    keys = [k for k in ctx.spec.sdtm["DD"].keys if k not in ("STUDYID", "USUBJID", "DDSEQ")]
    return derive_var_seq(dd, new_var="DDSEQ", order=keys)
