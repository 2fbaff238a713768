"""AE: all adverse events of the raw AE form, MedDRA-coded by data management (COM.AE)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_epoch, ongoing_at_study_end
from cdisc_mirocals.sdtm.context import Context


def map_ae(ctx: Context) -> pd.DataFrame:
    ae = ctx.drop_screen_failures(ctx.form("AE"))
    bodsys = ae["AEBODSYS"].str.strip()
    soc_code = ae["AESOCCD"].astype("Int64")
    enrtpt, entpt = ongoing_at_study_end(ctx.ct(ae, "AEONGO", "NY") == "Y", ae["AEENDAT"], ctx.end_of_study(ae))
    out = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "AE", "USUBJID": ctx.usubjid(ae["SUBJID"]),
        "AESPID": ae["AESPID"].astype("string"), "AETERM": ae["AETERM"].str.strip(),
        # COM.AE.MEDDRA: every level of the primary path, as the coding export delivers it
        "AELLT": ae["AELLT"].str.strip(), "AELLTCD": ae["AELLTCD"].astype("Int64"),
        "AEDECOD": ae["AEDECOD"].str.strip(), "AEPTCD": ae["AEPTCD"].astype("Int64"),
        "AEHLT": ae["AEHLT"].str.strip(), "AEHLTCD": ae["AEHLTCD"].astype("Int64"),
        "AEHLGT": ae["AEHLGT"].str.strip(), "AEHLGTCD": ae["AEHLGTCD"].astype("Int64"),
        "AEBODSYS": bodsys, "AEBDSYCD": soc_code,
        "AESOC": bodsys, "AESOCCD": soc_code,  # MT.AESOC: the SOC delivered with the PT is the primary SOC
        "AESEV": ctx.ct(ae, "AESEV", "AESEV"), "AESER": ctx.ct(ae, "AESER", "NY"),
        "AEACN": ctx.ct(ae, "AEACN", "ACN"), "AEREL": ctx.ct(ae, "AEREL", "AEREL"),
        "AEOUT": ctx.ct(ae, "AEOUT", "OUT"), "AESDTH": ctx.ct(ae, "AESDTH", "NY"),
        "AESHOSP": ctx.ct(ae, "AESHOSP", "NY"),
        "AESTDTC": ae["AESTDAT"], "AEENDTC": ae["AEENDAT"], "AEENRTPT": enrtpt, "AEENTPT": entpt,
        "_FORM": ae["_FORM"], "_LINE": ae["_LINE"],
    })
    out = derive_var_epoch(out, ctx.datasets["SE"], dtc_var="AESTDTC")
    out = ctx.study_days(out, {"AESTDY": "AESTDTC", "AEENDY": "AEENDTC"})
    return ctx.number_records(out, "AE")
