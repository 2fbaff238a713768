"""IE: one record per inclusion/exclusion criterion not met (MT.IEORRES); screen failures included."""

import numpy as np
import pandas as pd

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.sdtm.common import assign_visits, derive_var_epoch
from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.sdtm.ti import criteria


def _check_category(ctx: Context, records: pd.DataFrame, expected: pd.Series) -> None:
    """The collected IECAT must agree with the criterion's category (TI), which IE reports."""
    collected = ctx.ct(records, "IECAT", "IECAT")
    wrong = collected.notna() & expected.notna() & (collected != expected)
    for (_, rec), cat in zip(records[wrong].iterrows(), expected[wrong]):
        ctx.ct_errors.append(Problem(ctx.raw.file("ELIG"), int(rec["_LINE"]), "IECAT", str(rec["IECAT"]),
                                     f"{cat}, the category of criterion {str(rec['IETESTCD']).strip()}"))


def map_ie(ctx: Context) -> pd.DataFrame:
    elig = ctx.form("ELIG")
    met = (ctx.ct(elig, "ELIGYN", "NY") == "Y").fillna(False)
    ctx.exclude(elig[met], "all eligibility criteria met: IE holds criteria not met only")
    failed = elig[~met]
    code = ctx.ct(failed, "IETESTCD", "IETESTCD")
    ie = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "IE", "USUBJID": ctx.usubjid(failed["SUBJID"]), "IETESTCD": code,
        "IEDTC": failed["IEDAT"], "VISIT": "SCREENING", "_FORM": failed["_FORM"], "_LINE": failed["_LINE"],
    })
    ti = criteria(ctx).set_index("IETESTCD")
    ie["IETEST"] = code.map(ti["IETEST"])
    ie["IECAT"] = code.map(ti["IECAT"])
    _check_category(ctx, failed, ie["IECAT"])
    # An inclusion criterion not met is answered No, an exclusion criterion met is answered Yes.
    ie["IEORRES"] = np.where(ie["IECAT"] == "INCLUSION", "N", "Y")
    ie["IESTRESC"] = ie["IEORRES"]
    ie = assign_visits(ie, ctx.datasets["TV"], ctx.datasets["SV"], visit_var="VISIT", dtc_var="IEDTC")
    ie = derive_var_epoch(ie, ctx.datasets["SE"], dtc_var="IEDTC")
    # Null for a screen failure, who has no RFSTDTC; given for a subject dosed despite a criterion not met.
    ie = ctx.study_days(ie, {"IEDY": "IEDTC"})
    return ctx.number_records(ie, "IE")
