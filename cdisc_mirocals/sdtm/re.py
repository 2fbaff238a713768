"""RE: slow vital capacity in litres and in % predicted (raw SVC)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.sdtm._findings import RESULT, decode, drop_blank_rows, finish, number_text, stack, standard_units
from cdisc_mirocals.sdtm.context import Context

TESTS = {"SVCL": "SVC", "SVCPP": "SVCPP"}  # COM.RE
METHOD = "SPIROMETRY"  # COM.RE


def map_re(ctx: Context) -> pd.DataFrame:
    svc = drop_blank_rows(ctx, ctx.drop_screen_failures(ctx.form("SVC")), TESTS, "slow vital capacity")
    long = stack(svc, TESTS, "RETESTCD")
    result = number_text(long[RESULT])
    unit = long["RETESTCD"].map(standard_units(ctx.spec, "RE", "RETESTCD", "RESTRESU"))
    re_ = pd.DataFrame({
        "USUBJID": ctx.usubjid(long["SUBJID"]), "VISIT": long["VISIT"], "REDTC": long["REDAT"],
        "RETESTCD": long["RETESTCD"], "RETEST": decode(ctx, long["RETESTCD"], "RETESTCD"),
        "REORRES": result, "REORRESU": unit, "RESTRESC": result, "RESTRESN": long[RESULT].astype(float),
        "RESTRESU": unit, "REMETHOD": METHOD, "_FORM": long["_FORM"], "_LINE": long["_LINE"],
    })
    return finish(ctx, re_, "RE")
