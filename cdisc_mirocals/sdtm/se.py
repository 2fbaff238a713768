"""SE: the elements each subject actually passed through, with their dates (method MT.SE)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.dates import to_date
from cdisc_mirocals.sdtm.common import derive_var_seq
from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.text import strip


def map_se(ctx: Context) -> pd.DataFrame:
    dm = ctx.datasets["DM"]
    ta = ctx.datasets["TA"]
    enrol = ctx.raw["ENROL"].assign(SUBJID=lambda d: d["SUBJID"].str.strip()).set_index("SUBJID")
    cycle_length = ctx.spec.study["treatment"]["cycle_length_days"]
    given = ctx.injections_given().assign(SUBJID=lambda d: strip(d["SUBJID"]))
    last_cycle = given[given["CYCLE"] == given.groupby("SUBJID")["CYCLE"].transform("max")]
    fu_start = to_date(last_cycle.groupby("SUBJID")["INJDAT"].min()) + pd.Timedelta(days=cycle_length)

    se = _elements(dm, enrol["SCRNDAT"], fu_start, default_arm=ta["ARMCD"].iloc[0])
    se = se.merge(ta[["ARMCD", "ETCD", "ELEMENT", "TAETORD", "EPOCH"]], on=["ARMCD", "ETCD"], how="left")
    se = se.drop(columns="ARMCD").assign(STUDYID=ctx.studyid, DOMAIN="SE")
    # SESEQ follows the subject's path through the elements, not the alphabetical ETCD of the keys.
    se = derive_var_seq(se, new_var="SESEQ", order=["SESTDTC", "TAETORD"])
    return ctx.study_days(se, {"SESTDY": "SESTDTC", "SEENDY": "SEENDTC"})


def _elements(dm: pd.DataFrame, screened: pd.Series, fu_start: pd.Series, default_arm: str) -> pd.DataFrame:
    """USUBJID, ETCD, SESTDTC, SEENDTC and ARMCD of every element entered, subject by subject in DM
    order: screening; run-in once randomised; the arm once dosed; follow-up when treatment ended
    (the start of the cycle after the last one, or the end of study if earlier) before the end of
    participation. An element ends where the next one starts, the last at RFPENDTC."""
    armcd = dm["ARMCD"].to_numpy(dtype=object)
    randomised = np.array([isinstance(a, str) and a != "" for a in armcd], dtype=bool)
    dosed = randomised & dm["RFXSTDTC"].notna().to_numpy()
    end_of_treatment = pd.Series(dm["SUBJID"].map(fu_start).to_numpy(), index=dm.index).where(dosed)
    eos = to_date(dm["RFENDTC"])
    end_of_treatment = end_of_treatment.where(eos.isna() | (end_of_treatment <= eos), eos)
    fu = np.asarray(end_of_treatment.dt.strftime("%Y-%m-%d"), dtype=object)
    follow_up = dosed.copy()
    follow_up[dosed] = fu[dosed] < dm["RFPENDTC"].to_numpy(dtype=object)[dosed]
    arm = np.where(randomised, armcd, default_arm)
    parts = [(np.ones(len(dm), dtype=bool), "SCRN", dm["RFICDTC"].to_numpy(dtype=object)),
             (randomised, "RUNIN", dm["SUBJID"].map(screened).to_numpy(dtype=object)),
             (dosed, armcd, dm["RFXSTDTC"].to_numpy(dtype=object)),
             (follow_up, "FU", fu)]
    order = np.arange(len(dm))
    frames = [pd.DataFrame({"_dm": order[keep], "_k": k, "USUBJID": dm["USUBJID"].to_numpy(dtype=object)[keep],
                            "ETCD": etcd[keep] if isinstance(etcd, np.ndarray) else etcd, "SESTDTC": start[keep],
                            "ARMCD": arm[keep]})
              for k, (keep, etcd, start) in enumerate(parts)]
    se = pd.concat(frames, ignore_index=True).sort_values(["_dm", "_k"], kind="stable", ignore_index=True)
    last = (se["_dm"] != se["_dm"].shift(-1)).to_numpy()
    end = se["SESTDTC"].shift(-1).to_numpy(dtype=object)
    end[last] = dm["RFPENDTC"].to_numpy(dtype=object)[se["_dm"].to_numpy()[last]]
    se["SEENDTC"] = end
    return se[["USUBJID", "ETCD", "SESTDTC", "SEENDTC", "ARMCD"]].astype(object)
