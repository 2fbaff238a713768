"""SV: one record per visit that took place; unscheduled visits numbered after the planned visit before them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.sdtm.common import UNSCHEDULED
from cdisc_mirocals.sdtm.context import Context

UNPLANNED = "UNSCHEDULED VISIT, REASON NOT COLLECTED"  # SVUPDES, COM.SV


def map_sv(ctx: Context) -> pd.DataFrame:
    # Screen failures' visits too: their IE and DS records point at the screening visit.
    visits = ctx.form("VISIT")
    tv = ctx.datasets["TV"]
    name = visits["VISIT"].str.strip().str.upper()
    planned_num = name.map(dict(zip(tv["VISIT"], tv["VISITNUM"])))
    sv = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "SV", "USUBJID": ctx.usubjid(visits["SUBJID"]),
        "VISIT": name, "_NUM": planned_num, "SVSTDTC": visits["VISDAT"], "SVENDTC": visits["VISDAT"],
        "_FORM": visits["_FORM"], "_LINE": visits["_LINE"],
    }).sort_values(["USUBJID", "SVSTDTC", "_NUM"], kind="stable", na_position="last")
    unscheduled = sv["VISIT"].str.startswith(UNSCHEDULED)
    # The k-th unscheduled visit after planned visit N is N + 0.01 k.
    previous = sv["_NUM"].where(~unscheduled).groupby(sv["USUBJID"]).ffill().fillna(0)
    k = unscheduled.astype(int).groupby([sv["USUBJID"], previous]).cumsum()
    sv["VISITNUM"] = np.where(unscheduled, previous + 0.01 * k, sv["_NUM"]).round(2)
    sv["VISIT"] = np.where(unscheduled, UNSCHEDULED + " " + sv["VISITNUM"].map("{:.2f}".format), sv["VISIT"])
    sv["VISITDY"] = sv["VISIT"].map(dict(zip(tv["VISIT"], tv["VISITDY"])))
    sv["SVPRESP"] = np.where(unscheduled, "", "Y")
    sv["SVOCCUR"] = np.where(unscheduled, "", "Y")
    sv["SVUPDES"] = np.where(unscheduled, UNPLANNED, "")
    sv = ctx.study_days(sv.drop(columns="_NUM"), {"SVSTDY": "SVSTDTC", "SVENDY": "SVENDTC"})
    return sv.sort_index()
