"""MH: ALS history from ENROL (MHCAT 'PRIMARY DIAGNOSIS') and other conditions from the raw MH form
(MHCAT 'GENERAL MEDICAL HISTORY'), as COM.MH describes."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_epoch
from cdisc_mirocals.sdtm.context import Context

ALS = "AMYOTROPHIC LATERAL SCLEROSIS"
# ALS history: one record per dated milestone of ENROL, {raw date field: MHEVDTYP}.
ALS_EVENTS = {"ONSETDAT": "SYMPTOM ONSET", "DIAGDAT": "DIAGNOSIS"}


def _screening_dates(ctx: Context, subjid: pd.Series) -> pd.Series:
    enrol = ctx.raw["ENROL"]
    return subjid.str.strip().map(dict(zip(enrol["SUBJID"].str.strip(), enrol["SCRNDAT"])))


def _als_history(ctx: Context) -> pd.DataFrame:
    # ENROL rows are already mapped to DM: screen failures simply get no MH record, no exclusion.
    enrol = ctx.form("ENROL")
    enrol = enrol[~enrol["SUBJID"].str.strip().isin(ctx.screen_failures)]
    common = {
        "USUBJID": ctx.usubjid(enrol["SUBJID"]), "MHTERM": ALS, "MHCAT": "PRIMARY DIAGNOSIS",
        # Pre-specified on the CRF, and the disease occurred: it is an inclusion criterion (COM.MH).
        "MHPRESP": "Y", "MHOCCUR": "Y",
        "MHENRTPT": "ONGOING", "MHENTPT": enrol["SCRNDAT"], "_FORM": enrol["_FORM"], "_LINE": enrol["_LINE"],
    }
    return pd.concat([pd.DataFrame({**common, "MHEVDTYP": evdtyp, "MHSTDTC": enrol[field]})
                      for field, evdtyp in ALS_EVENTS.items()], ignore_index=True)


def _general(ctx: Context) -> pd.DataFrame:
    mh = ctx.drop_screen_failures(ctx.form("MH"))
    return pd.DataFrame({
        "USUBJID": ctx.usubjid(mh["SUBJID"]), "MHSPID": mh["MHSPID"].astype("string"),
        "MHTERM": mh["MHTERM"].str.strip(), "MHDECOD": mh["MHDECOD"].str.strip(),
        "MHCAT": "GENERAL MEDICAL HISTORY", "MHBODSYS": mh["MHBODSYS"].str.strip(), "MHSTDTC": mh["MHSTDAT"],
        # MT.ENRTPT: no end date is collected; 'No' means it ended before screening.
        "MHENRTPT": ctx.ct(mh, "MHONGO", "NY").map({"Y": "ONGOING", "N": "BEFORE"}),
        "MHENTPT": _screening_dates(ctx, mh["SUBJID"]), "_FORM": mh["_FORM"], "_LINE": mh["_LINE"],
    })


def map_mh(ctx: Context) -> pd.DataFrame:
    parts = [_als_history(ctx), _general(ctx)]
    # an empty part (no general history in a small study) would decide no column's type: pandas deprecates it
    mh = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    mh = mh.assign(STUDYID=ctx.studyid, DOMAIN="MH")
    mh = derive_var_epoch(mh, ctx.datasets["SE"], dtc_var="MHSTDTC")
    mh = ctx.study_days(mh, {"MHSTDY": "MHSTDTC"})  # null for a partial date (onset month or year only)
    return ctx.number_records(mh, "MH")
