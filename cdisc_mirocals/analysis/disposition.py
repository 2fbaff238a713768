"""Subject disposition, from ADSL and, for what happened before randomisation, from SDTM on disk.

ADSL holds the randomised subjects (ITTFL), their treatment (SAFFL) and their end of study (EOSSTT,
DCSREAS, DTHFL). Who was screened and why a subject failed screening is SDTM's: DM (every subject
who gave consent), DS (DSDECOD 'SCREEN FAILURE'; the 'STUDY TREATMENT' disposition events) and IE
(the criteria not met). Without the SDTM folder those rows are skipped with a note.

Rows (name; `category` holds a reason): screened, screen_failure, screen_failure_group (inclusion not
met, exclusion met), screen_failure_reason (its `label` is the group), randomised,
treated, not_treated, completed_treatment, discontinued_treatment, discontinued_treatment_reason,
completed_study, discontinued_study, discontinued_study_reason, ongoing, died, analysed.
Counts are by randomised arm (TRT01P) and in total; percentages are of the randomised subjects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.analysis.baseline import OVERALL, population
from cdisc_mirocals.analysis.data import Dataset, Options, population_label
from cdisc_mirocals.analysis.result import Result, summary_frame

KEY = "DISPOSITION/summary"
TITLE = "Subject disposition"
COLUMNS = ("name", "label", "category", "group", "n", "denominator", "pct")
SCREEN_FAILURE = "SCREEN FAILURE"


def _screening(sdtm: dict[str, Dataset]) -> tuple[list[dict], list[str]]:
    dm, ds, ie = (sdtm.get(n) for n in ("DM", "DS", "IE"))
    if dm is None:
        return [], ["screening counts need SDTM DM (no SDTM folder beside the ADaM folder)"]
    rows = [{"name": "screened", "label": "Assessed for eligibility (screened)", "group": OVERALL,
             "n": dm.frame["USUBJID"].nunique()}]
    notes = []
    failed: set = set()
    if ds is not None and "DSDECOD" in ds.frame.columns:
        failed = set(ds.frame.loc[ds.frame["DSDECOD"] == SCREEN_FAILURE, "USUBJID"])
    elif "ARMNRS" in dm.frame.columns:
        failed = set(dm.frame.loc[dm.frame["ARMNRS"] == SCREEN_FAILURE, "USUBJID"])
    rows.append({"name": "screen_failure", "label": "Excluded (screen failures)", "group": OVERALL, "n": len(failed)})
    if ie is not None and {"IETEST", "IECAT", "IEORRES"} <= set(ie.frame.columns):
        f = ie.frame[ie.frame["USUBJID"].isin(failed)]
        inclusion = (f["IECAT"] == "INCLUSION") & (f["IEORRES"] == "N")
        exclusion = (f["IECAT"] == "EXCLUSION") & (f["IEORRES"] == "Y")
        unmet = f[inclusion | exclusion]
        source = unmet.assign(heading=np.where(inclusion[unmet.index], "Did not meet an inclusion criterion",
                                               "Met an exclusion criterion"), reason=unmet["IETEST"])
        notes.append("screen-failure reasons are the IE criteria not met; a subject may fail several")
    elif ds is not None and (ds.frame.loc[ds.frame["DSDECOD"] == SCREEN_FAILURE, "DSTERM"] != SCREEN_FAILURE).any():
        sf = ds.frame[ds.frame["DSDECOD"] == SCREEN_FAILURE]
        source = sf.assign(heading="Reason", reason=sf["DSTERM"])
        notes.append("screen-failure reasons are the DS terms (no SDTM IE)")
    else:
        source = pd.DataFrame(columns=["USUBJID", "heading", "reason"])
        notes.append("no screen-failure reasons: SDTM has no IE, and DS says only 'SCREEN FAILURE'")
    source = source[["USUBJID", "heading", "reason"]].drop_duplicates()
    for heading, part in sorted(source.groupby("heading"), key=lambda kv: -kv[1]["USUBJID"].nunique()):
        rows.append({"name": "screen_failure_group", "label": "Reason", "category": heading, "group": OVERALL,
                     "n": part["USUBJID"].nunique()})
        for reason, n in part.groupby("reason")["USUBJID"].nunique().sort_values(ascending=False).items():
            rows.append({"name": "screen_failure_reason", "label": heading, "category": reason, "group": OVERALL,
                         "n": n})
    return rows, notes


def _count(rows, name, label, frame, arms, mask, category=None, denominators=None):
    for arm in [*arms, OVERALL]:
        sel = mask if arm == OVERALL else mask & (frame["arm"] == arm)
        rows.append({"name": name, "label": label, "category": category, "group": arm, "n": int(sel.sum()),
                     "denominator": denominators.get(arm) if denominators else None})


def _reasons(rows, name, frame, arms, mask, reasons: pd.Series, denominators):
    for reason in reasons[mask].value_counts().index:
        _count(rows, name, "Reason", frame, arms, mask & (reasons == reason), str(reason).capitalize(), denominators)


def _treatment_disposition(frame, ds: Dataset | None) -> pd.Series | None:
    """DSDECOD of each subject's last 'STUDY TREATMENT' disposition event, by USUBJID, if DS has them."""
    if ds is None or "DSSCAT" not in ds.frame.columns:
        return None
    treat = ds.frame[(ds.frame["DSCAT"] == "DISPOSITION EVENT") & (ds.frame["DSSCAT"] == "STUDY TREATMENT")]
    if treat.empty:
        return None
    last = treat.sort_values(["USUBJID", "DSSTDTC"]).groupby("USUBJID")["DSDECOD"].last()
    return frame["USUBJID"].map(last)


def disposition(adsl: Dataset, sdtm: dict[str, Dataset], options: Options) -> Result:
    o = options
    rows, notes = _screening(sdtm)
    flag = o.baseline_population
    frame, arms = population(adsl, flag, o.baseline_treatment_var, options)
    if not arms:
        return Result.skip(KEY, TITLE, "counts of subjects", f"no subject has {flag} = 'Y' in ADSL, or ADSL has no "
                           f"{flag} or {o.baseline_treatment_var}", notes=notes)
    frame = frame.reset_index(drop=True)
    denominators = {**{a: int((frame["arm"] == a).sum()) for a in arms}, OVERALL: len(frame)}
    everyone = pd.Series(True, index=frame.index)
    _count(rows, "randomised", "Randomised", frame, arms, everyone, denominators=denominators)
    treated = everyone
    if "SAFFL" in frame.columns:
        treated = frame["SAFFL"] == "Y"
        _count(rows, "treated", "Received the allocated treatment", frame, arms, treated, denominators=denominators)
        _count(rows, "not_treated", "Did not receive the allocated treatment", frame, arms, ~treated,
               denominators=denominators)
    decod = _treatment_disposition(frame, sdtm.get("DS"))
    if decod is None:
        notes.append("treatment discontinuation needs SDTM DS with DSSCAT 'STUDY TREATMENT' records")
    else:
        # of the subjects treated: one never dosed neither completed nor discontinued treatment, whatever
        # DS records of him (he is counted under "Did not receive the allocated treatment")
        done = (decod == "COMPLETED") & treated
        stopped = decod.notna() & ~done & treated
        _count(rows, "completed_treatment", "Completed treatment", frame, arms, done, denominators=denominators)
        _count(rows, "discontinued_treatment", "Discontinued treatment", frame, arms, stopped,
               denominators=denominators)
        _reasons(rows, "discontinued_treatment_reason", frame, arms, stopped, decod, denominators)
    if "EOSSTT" in frame.columns:
        status = frame["EOSSTT"]
        _count(rows, "completed_study", "Completed the study", frame, arms, status == "COMPLETED",
               denominators=denominators)
        stopped = status == "DISCONTINUED"
        _count(rows, "discontinued_study", "Discontinued the study", frame, arms, stopped, denominators=denominators)
        if "DCSREAS" in frame.columns:
            _reasons(rows, "discontinued_study_reason", frame, arms, stopped, frame["DCSREAS"], denominators)
        if (status == "ONGOING").any():
            _count(rows, "ongoing", "Ongoing in the study", frame, arms, status == "ONGOING", denominators=denominators)
    else:
        notes.append("ADSL has no EOSSTT: study completion is not shown")
    if "DTHFL" in frame.columns:
        _count(rows, "died", "Died (any time up to the data cut-off)", frame, arms, frame["DTHFL"] == "Y",
               denominators=denominators)
    label = population_label(adsl.labels, flag)
    _count(rows, "analysed", f"Analysed ({label[:1].lower() + label[1:]})", frame, arms, everyone,
           denominators=denominators)
    table = summary_frame(rows, COLUMNS)
    table["pct"] = np.where(table["denominator"] > 0, 100 * table["n"] / table["denominator"], np.nan)
    return Result(KEY, TITLE, "counts of subjects; percentages of those randomised", table,
                  label, len(frame), None,
                  {"arms": arms, "overall": OVERALL, "n_by_arm": denominators}, notes)
