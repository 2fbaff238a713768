"""EC: every planned injection of the injection log as collected, given or missed (COM.EC). EX holds the
administered ones, with the same --SPID (COM.EC.LINK).

The log carries the planned days of the cycle under way when a subject's participation ended (death,
withdrawal), marked not given. A day after the end of participation (DM.RFPENDTC) was no dose the
subject missed but one no longer planned: it is not tabulated, and the reconciliation lists each such
row with its reason (COM.EC)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_epoch
from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.sdtm.ex import injection_ids, sole_term

PERFORMED = "PERFORMED"  # ECMOOD: the log records injections that happened or were missed, not a schedule


AFTER_PARTICIPATION = ("planned injection not given, dated after the subject's end of participation (DM.RFPENDTC): "
                       "no longer a planned dose, so not tabulated in EC")


def map_ec(ctx: Context) -> pd.DataFrame:
    inj = ctx.form("INJ")
    given = inj.index.isin(ctx.injections_given().index)
    late = ~given & _after_participation(ctx, inj)
    ctx.exclude(inj[late], AFTER_PARTICIPATION)
    inj, given = inj[~late], given[~late]
    grpid, spid = injection_ids(inj)
    ec = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "EC", "USUBJID": ctx.usubjid(inj["SUBJID"]),
        "ECGRPID": grpid, "ECSPID": spid, "ECTRT": sole_term(ctx, "ECTRT"), "ECMOOD": PERFORMED,
        # Every injection is pre-specified by the schedule; the log says whether it was given (COM.EC).
        "ECPRESP": "Y", "ECOCCUR": np.where(given, "Y", "N"),
        "ECREASOC": inj["INJREAS"].str.strip().where(~given),
        "ECDOSE": inj["INJDOSE"].astype("float64"), "ECDOSU": ctx.ct(inj, "INJDOSU", "UNIT_EX"),
        "ECDOSFRM": sole_term(ctx, "FRM_EX"), "ECDOSFRQ": sole_term(ctx, "FREQ_EX"),
        "ECROUTE": sole_term(ctx, "ROUTE_EX"), "ECSTDTC": inj["INJDAT"], "ECENDTC": inj["INJDAT"],
        "_FORM": inj["_FORM"], "_LINE": inj["_LINE"],
    }, index=inj.index)
    ec = derive_var_epoch(ec, ctx.datasets["SE"], dtc_var="ECSTDTC")
    ec = ctx.study_days(ec, {"ECSTDY": "ECSTDTC", "ECENDY": "ECENDTC"})
    return ctx.number_records(ec, "EC")


def _after_participation(ctx: Context, inj: pd.DataFrame) -> np.ndarray:
    """Rows whose complete date is after the subject's complete DM.RFPENDTC (ISO dates compare as text)."""
    end = ctx.usubjid(inj["SUBJID"]).map(ctx.datasets["DM"].set_index("USUBJID")["RFPENDTC"])
    day, last = inj["INJDAT"].astype("string").str[:10], end.astype("string").str[:10]
    complete = day.str.len().eq(10) & last.str.len().eq(10)
    return (complete & (day > last)).fillna(False).to_numpy(dtype=bool)
