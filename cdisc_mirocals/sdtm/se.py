"""SE: the elements each subject actually passed through, with their dates (method MT.SE)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.dates import to_date
from cdisc_mirocals.sdtm.common import derive_var_seq
from cdisc_mirocals.sdtm.context import Context


def map_se(ctx: Context) -> pd.DataFrame:
    dm = ctx.datasets["DM"]
    ta = ctx.datasets["TA"]
    enrol = ctx.raw["ENROL"].assign(SUBJID=lambda d: d["SUBJID"].str.strip()).set_index("SUBJID")
    cycle_length = ctx.spec.study["treatment"]["cycle_length_days"]
    given = ctx.injections_given().assign(SUBJID=lambda d: d["SUBJID"].str.strip())
    last_cycle = given[given["CYCLE"] == given.groupby("SUBJID")["CYCLE"].transform("max")]
    fu_start = to_date(last_cycle.groupby("SUBJID")["INJDAT"].min()) + pd.Timedelta(days=cycle_length)

    rows = []
    for rec in dm.itertuples(index=False):
        starts = [("SCRN", rec.RFICDTC)]
        randomised = isinstance(rec.ARMCD, str) and rec.ARMCD != ""
        if randomised:
            starts.append(("RUNIN", enrol.at[rec.SUBJID, "SCRNDAT"]))
        # Only elements actually entered: a subject never dosed stays in the run-in (SDTMIG 3.4 SE).
        if randomised and pd.notna(rec.RFXSTDTC):
            starts.append((rec.ARMCD, rec.RFXSTDTC))
            end_of_treatment = fu_start[rec.SUBJID]
            eos = to_date(pd.Series([rec.RFENDTC])).iloc[0]
            if pd.notna(eos):
                end_of_treatment = min(end_of_treatment, eos)
            if end_of_treatment.strftime("%Y-%m-%d") < rec.RFPENDTC:
                starts.append(("FU", end_of_treatment.strftime("%Y-%m-%d")))
        for i, (etcd, start) in enumerate(starts):
            end = starts[i + 1][1] if i + 1 < len(starts) else rec.RFPENDTC
            rows.append({"USUBJID": rec.USUBJID, "ETCD": etcd, "SESTDTC": start, "SEENDTC": end,
                         "ARMCD": rec.ARMCD if randomised else ta["ARMCD"].iloc[0]})
    se = pd.DataFrame(rows)
    se = se.merge(ta[["ARMCD", "ETCD", "ELEMENT", "TAETORD", "EPOCH"]], on=["ARMCD", "ETCD"], how="left")
    se = se.drop(columns="ARMCD").assign(STUDYID=ctx.studyid, DOMAIN="SE")
    # SESEQ follows the subject's path through the elements, not the alphabetical ETCD of the keys.
    se = derive_var_seq(se, new_var="SESEQ", order=["SESTDTC", "TAETORD"])
    return ctx.study_days(se, {"SESTDY": "SESTDTC", "SEENDY": "SEENDTC"})
