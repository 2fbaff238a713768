"""QS: ALSFRS-R, one record per collected item score plus the total as written on the CRF."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.sdtm._findings import RESULT, decode, drop_blank_rows, finish, number_text, stack
from cdisc_mirocals.sdtm.context import Context

CAT = "ALSFRS-R"  # COM.QS.ALS


def map_qs(ctx: Context) -> pd.DataFrame:
    alsfrs = ctx.drop_screen_failures(ctx.form("ALSFRS"))
    # The raw field names are the QSTESTCD terms (COM.QS.ALS).
    codes = ctx.spec.sdtm.codelists["QSTESTCD"].values
    tests = {c: c for c in alsfrs.columns if c in codes}
    long = stack(drop_blank_rows(ctx, alsfrs, tests, "ALSFRS-R"), tests, "QSTESTCD")
    result = number_text(long[RESULT])
    qs = pd.DataFrame({
        "USUBJID": ctx.usubjid(long["SUBJID"]), "VISIT": long["VISIT"], "QSDTC": long["QSDAT"],
        "QSTESTCD": long["QSTESTCD"], "QSTEST": decode(ctx, long["QSTESTCD"], "QSTESTCD"), "QSCAT": CAT,
        "QSORRES": result, "QSSTRESC": result, "QSSTRESN": long[RESULT].astype(float),
        "_FORM": long["_FORM"], "_LINE": long["_LINE"],
    })
    return finish(ctx, qs, "QS")
