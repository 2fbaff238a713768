"""DD: primary cause of death and autopsy indicator for each death report (COM.DD, MT.DDSTRESC, MT.DDDTC)."""

import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_epoch
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
    dd = derive_var_epoch(dd, ctx.datasets["SE"], dtc_var="DDDTC")
    dd = ctx.study_days(dd, {"DDDY": "DDDTC"})
    return ctx.number_records(dd, "DD")
