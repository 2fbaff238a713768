"""ADTTE: OS640 (primary), OS and DTHTRV from derive_param_tte, with STARTDT = RANDDT (MT.ADTTE.*)."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.adam.adsl import predecessors
from cdisc_mirocals.adam.codes import derive_var_code
from cdisc_mirocals.adam.derive import censor_source, derive_param_tte, derive_vars_merged, event_source
from cdisc_mirocals.adam.sources import ALIVE_SOURCES, alive_records
from cdisc_mirocals.dates import to_date
from cdisc_mirocals.spec import Spec

KEYS = ["STUDYID", "USUBJID"]
LAST_ALIVE = "LAST KNOWN ALIVE DATE"
# A window end is no record's date: no SRCDOM/SRCVAR/SRCSEQ, and CNSDTDSC says why (MT.ADTTE.SRC).
DAY_N = "DAY {n} AFTER RANDOMIZATION (END OF WINDOW, NO SDTM RECORD)"


def _sources(sdtm: dict[str, pd.DataFrame], adsl: pd.DataFrame, window: int) -> dict[str, pd.DataFrame]:
    """Source datasets with parsed dates and each subject's window end (day `window` after RANDDT)."""
    end = adsl.set_index("USUBJID")["RANDDT"] + pd.Timedelta(days=window - 1)
    ds = sdtm["DS"].assign(DSSTDT=lambda d: to_date(d["DSSTDTC"]))
    ds["_END"] = ds["USUBJID"].map(end)
    pr = sdtm["PR"].assign(PRSTDT=lambda d: to_date(d["PRSTDTC"]))
    pr = pr[pr["PRSTDT"] >= pr["USUBJID"].map(adsl.set_index("USUBJID")["RANDDT"])]  # only events from STARTDT on
    alive = alive_records(sdtm, sdtm["DM"])
    alive["_END"] = alive["USUBJID"].map(end)
    sources = {"DS": ds, "PR": pr}
    for rank, src in enumerate(ALIVE_SOURCES):
        sources[f"ALIVE{rank}"] = alive[alive["_PRIORITY"] == rank]
    return sources


def _alive_censors(event_description: str, exclude: set[str] = frozenset()) -> list:
    """One censoring source per SDTM date showing the subject alive (the ADSL.LSTALVDT rule), for the
    subjects not in `exclude`."""
    return [censor_source(f"ALIVE{rank}", date="ADT", description=LAST_ALIVE, event_description=event_description,
                          srcdom=src.domain, srcvar=src.dtc, srcseq="SRCSEQ",
                          filter=(lambda d: ~d["USUBJID"].isin(exclude)) if exclude else None)
            for rank, src in enumerate(ALIVE_SOURCES)]


def _is_death(ds: pd.DataFrame) -> pd.Series:
    """The DS record of a death itself (STUDY PARTICIPATION or SURVIVAL FOLLOW-UP), once per subject; an
    end-of-treatment record coded DEATH carries the same date but reports the end of treatment."""
    return (ds["DSDECOD"] == "DEATH") & (ds["DSSCAT"] != "STUDY TREATMENT")


def _deaths(within_window: bool):
    keep = (lambda d: _is_death(d) & (d["DSSTDT"] <= d["_END"])) if within_window else _is_death
    return event_source("DS", date="DSSTDT", description="DEATH", filter=keep, srcvar="DSSTDTC", srcseq="DSSEQ")


def derive_adtte(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    window = spec.study.primary_window_days
    itt = adsl[adsl["ITTFL"] == "Y"]
    sources = _sources(sdtm, itt, window)
    ds = sources["DS"]
    # Known alive at the end of the window (an alive date on or after it, or a death after it): censored
    # at the window's end; everyone else without an event at their last known alive date.
    alive = pd.concat([s for k, s in sources.items() if k.startswith("ALIVE")])
    beyond = set(alive.loc[alive["ADT"] >= alive["_END"], "USUBJID"]) | set(
        ds.loc[_is_death(ds) & (ds["DSSTDT"] > ds["_END"]), "USUBJID"])
    sources["WINDOW"] = itt.assign(_WINDOW_END=itt["RANDDT"] + pd.Timedelta(days=window - 1))
    day_n = censor_source("WINDOW", date="_WINDOW_END", description=DAY_N.format(n=window),
                          event_description=f"ALIVE AT DAY {window}", srcdom="", srcvar="",
                          filter=lambda d: d["USUBJID"].isin(beyond))
    names = {t.term: t.decode for t in spec.adam.codelists["PARAMCD"].terms}
    params = [
        ("OS640", [_deaths(True)], _alive_censors("ALIVE AT LAST CONTACT", beyond) + [day_n]),
        ("OS", [_deaths(False)], _alive_censors("ALIVE AT LAST CONTACT")),
        ("DTHTRV", [
            event_source("PR", date="PRSTDT", description="TRACHEOSTOMY", srcvar="PRSTDTC", srcseq="PRSEQ",
                         filter=lambda d: d["PRTRT"] == "TRACHEOSTOMY"),
            event_source("PR", date="PRSTDT", description="PERMANENT ASSISTED VENTILATION", srcvar="PRSTDTC",
                         srcseq="PRSEQ", filter=lambda d: d["PRTRT"] == "PERMANENT ASSISTED VENTILATION"),
            _deaths(False)], _alive_censors("ALIVE WITHOUT TRACHEOSTOMY OR PAV")),
    ]
    frames = [derive_param_tte(itt, start_date="RANDDT", event_sources=events, censor_sources=censors,
                               source_datasets=sources, paramcd=code, param=names[code])
              for code, events, censors in params]
    adtte = pd.concat(frames, ignore_index=True)
    adtte = derive_var_code(adtte, spec.adam, source_var="PARAM", new_var="PARAMN", codelist="PARAMN")
    carried = {k: v for k, v in predecessors(spec, "ADTTE", "ADSL").items() if k not in (*KEYS, "STARTDT")}
    return derive_vars_merged(adtte, adsl, by_vars=KEYS, new_vars=carried)
