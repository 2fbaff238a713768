"""CM: background riluzole and other prior/concomitant medications from the raw CM form (COM.CM)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.raw.schema import normalise
from cdisc_mirocals.sdtm.common import derive_var_epoch, ongoing_at_study_end
from cdisc_mirocals.sdtm.context import Context


def derive_cmcat(ctx: Context, decod: pd.Series) -> np.ndarray:
    """MT.CMCAT: the protocol's background therapy (study.toml [trial_summary] CURTRT), identified by its
    WHODrug name whatever the verbatim (Rilutek, ...), is 'BACKGROUND THERAPY'; all else 'CONCOMITANT
    MEDICATION'. A category, not a repeat of CMDECOD (P21 SD1039)."""
    background, other = ctx.spec.sdtm.codelists["CMCAT"].values
    current = ctx.spec.study["trial_summary"]["CURTRT"].casefold()
    return np.where(normalise(decod.fillna("")) == current, background, other)


def map_cm(ctx: Context) -> pd.DataFrame:
    cm = ctx.drop_screen_failures(ctx.form("CM"))
    decod = cm["CMDECOD"].str.strip()
    enrtpt, entpt = ongoing_at_study_end(ctx.ct(cm, "CMONGO", "NY") == "Y", cm["CMENDAT"], ctx.end_of_study(cm))
    out = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "CM", "USUBJID": ctx.usubjid(cm["SUBJID"]),
        "CMSPID": cm["CMSPID"].astype("string"), "CMTRT": cm["CMTRT"].str.strip(), "CMDECOD": decod,
        "CMCAT": derive_cmcat(ctx, decod),
        "CMINDC": cm["CMINDC"].str.strip(),
        "CMCLAS": cm["CMATC"].str.strip(), "CMCLASCD": cm["CMATCCD"].str.strip(),  # ATC level 4 (COM.CM)
        "CMDOSE": cm["CMDOSE"].astype("float64"),
        "CMDOSU": ctx.ct(cm, "CMDOSU", "UNIT_CM"), "CMDOSFRQ": ctx.ct(cm, "CMDOSFRQ", "FREQ"),
        "CMROUTE": ctx.ct(cm, "CMROUTE", "ROUTE"),
        "CMSTDTC": cm["CMSTDAT"], "CMENDTC": cm["CMENDAT"], "CMENRTPT": enrtpt, "CMENTPT": entpt,
        "_FORM": cm["_FORM"], "_LINE": cm["_LINE"],
    })
    out = derive_var_epoch(out, ctx.datasets["SE"], dtc_var="CMSTDTC")
    out = ctx.study_days(out, {"CMSTDY": "CMSTDTC", "CMENDY": "CMENDTC"})
    return ctx.number_records(out, "CM")
