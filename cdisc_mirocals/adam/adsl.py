"""ADSL: one record per randomised subject in DM, assembled from the derivation toolkit (methods MT.ADSL.*)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.codes import derive_var_code, derive_var_group, flag
from cdisc_mirocals.adam.derive import derive_vars_dt, derive_vars_merged
from cdisc_mirocals.adam.sources import alive_records, last_alive
from cdisc_mirocals.dates import to_date
from cdisc_mirocals.metadata.numbers import round_half_away
from cdisc_mirocals.spec import Spec

KEYS = ["STUDYID", "USUBJID"]
MONTH_DAYS = 365.25 / 12


def predecessors(spec: Spec, dataset: str, source: str) -> dict[str, str]:
    """{variable: source variable} for the variables the spec copies from `source` (Origin Predecessor)."""
    return {v.name: v.predecessor.split(".", 1)[1] for v in spec.adam[dataset].variables
            if v.origin == "Predecessor" and v.predecessor.startswith(f"{source}.")}


def _dated(frame: pd.DataFrame, where: pd.Series, dtc: str, new_var: str, extra: list[str] = ()) -> pd.DataFrame:
    """The selected records' complete --DTC as a date, one record per subject (the earliest)."""
    sel = frame[where]
    return sel.assign(**{new_var: to_date(sel[dtc])})[[*KEYS, new_var, *extra]].sort_values(new_var) \
        .drop_duplicates("USUBJID")


def _baseline(adsl: pd.DataFrame, sdtm: dict, domain: str, testcd: str, result: str = "STRESN") -> pd.DataFrame:
    """The last non-missing result of a test dated on or before randomisation (MT.ADSL.PNFHBL): a baseline
    for the ITT analyses, so a subject randomised but never dosed keeps it. SDTM --LOBXFL is relative to
    first exposure (SDTMIG 3.4) and is not used; ties on a date keep the highest --SEQ."""
    p = domain
    data = sdtm[domain]
    data = data[(data[f"{p}TESTCD"] == testcd) & data[f"{p}{result}"].notna()]
    data = data.assign(_date=to_date(data[f"{p}DTC"]), _rand=data["USUBJID"].map(adsl.set_index("USUBJID")["RANDDT"]))
    data = data[data["_date"] <= data["_rand"]].sort_values(["USUBJID", "_date", f"{p}SEQ"], kind="stable")
    return data.groupby("USUBJID", sort=False).tail(1)[[*KEYS, f"{p}{result}"]]


def _randomised(adsl: pd.DataFrame, sdtm: dict) -> pd.DataFrame:
    """ADaMIG 1.3 (COM.ADSL): the subjects with a DS RANDOMIZED record; screen failures stay in SDTM."""
    ds = sdtm["DS"]
    return adsl[adsl["USUBJID"].isin(ds.loc[ds["DSDECOD"] == "RANDOMIZED", "USUBJID"])].reset_index(drop=True)


def _population_and_treatment(adsl: pd.DataFrame, sdtm: dict, spec: Spec) -> pd.DataFrame:
    ds, ex = sdtm["DS"], sdtm["EX"]
    adsl = derive_vars_merged(adsl, _dated(ds, (ds["DSDECOD"] == "RANDOMIZED"), "DSSTDTC", "RANDDT"), by_vars=KEYS)
    dosed = ex.assign(_start=to_date(ex["EXSTDTC"]), _end=to_date(ex["EXENDTC"].where(ex["EXENDTC"] != "", ex["EXSTDTC"])))
    span = dosed.groupby(KEYS, as_index=False).agg(TRTSDT=("_start", "min"), TRTEDT=("_end", "max"))
    adsl = derive_vars_merged(adsl, span, by_vars=KEYS)
    adsl["TRTDURD"] = (adsl["TRTEDT"] - adsl["TRTSDT"]).dt.days + 1
    adsl["ITTFL"] = flag(adsl["RANDDT"].notna())
    adsl["SAFFL"] = flag(adsl["RANDDT"].notna() & adsl["TRTSDT"].notna())
    adsl["FASFL"] = adsl["SAFFL"]
    adsl["TRT01P"] = adsl["ARM"].where(adsl["ITTFL"] == "Y", "")
    adsl["TRT01A"] = adsl["ACTARM"].where(adsl["SAFFL"] == "Y", "")
    adsl = derive_var_code(adsl, spec.adam, source_var="TRT01P", new_var="TRT01PN", codelist="TRT01PN")
    return derive_var_code(adsl, spec.adam, source_var="TRT01A", new_var="TRT01AN", codelist="TRT01PN")


def _strata(adsl: pd.DataFrame, sdtm: dict, spec: Spec) -> pd.DataFrame:
    supp = sdtm["SUPPDM"]
    for i, stratum in enumerate(spec.study["analysis"]["strata"], start=1):
        values = supp[supp["QNAM"] == stratum["qnam"]][[*KEYS, "QVAL"]].rename(columns={"QVAL": f"STRAT{i}R"})
        adsl = derive_vars_merged(adsl, values, by_vars=KEYS)
        adsl[f"STRAT{i}D"] = stratum["description"]
        adsl = derive_var_code(adsl, spec.adam, source_var=f"STRAT{i}R", new_var=f"STRAT{i}RN", codelist=f"STRAT{i}RN")
    both = adsl["STRAT1R"].notna() & adsl["STRAT2R"].notna()
    adsl["STRATAR"] = (adsl["STRAT1R"] + ", " + adsl["STRAT2R"]).where(both)
    return derive_var_code(adsl, spec.adam, source_var="STRATAR", new_var="STRATARN", codelist="STRATARN")


def _disease(adsl: pd.DataFrame, sdtm: dict, spec: Spec) -> pd.DataFrame:
    mh = sdtm["MH"]
    history = mh[mh["MHCAT"] == "PRIMARY DIAGNOSIS"]
    onset = history[history["MHEVDTYP"] == "SYMPTOM ONSET"][[*KEYS, "MHSTDTC"]].rename(columns={"MHSTDTC": "ONSETDTC"})
    adsl = derive_vars_merged(adsl, _dated(history, history["MHEVDTYP"] == "DIAGNOSIS", "MHSTDTC", "DIAGDT"), by_vars=KEYS)
    adsl = derive_vars_merged(adsl, onset, by_vars=KEYS)
    adsl = derive_vars_dt(adsl, new_vars_prefix="ONSET", dtc="ONSETDTC", highest_imputation="M",
                          date_imputation="mid", max_dates=["DIAGDT", "RANDDT"])
    adsl["DURSYMP"] = _rounded((adsl["RANDDT"] - adsl["ONSETDT"]).dt.days / MONTH_DAYS, spec, "DURSYMP")
    pnfh = _baseline(adsl, sdtm, "LB", "NFHP").rename(columns={"LBSTRESN": "PNFHBL"})
    adsl = derive_vars_merged(adsl, pnfh, by_vars=KEYS)
    # MT.ADSL.PNFHGR1: the codelist's groups quote the pre-specified threshold of study.toml.
    adsl = derive_var_group(adsl, spec.adam, source_var="PNFHBL", new_var="PNFHGR1", codelist="PNFHGR1")
    adsl = derive_var_code(adsl, spec.adam, source_var="PNFHGR1", new_var="PNFHGR1N", codelist="PNFHGR1N")
    alsfrs = _baseline(adsl, sdtm, "QS", "ALSFRSTO").rename(columns={"QSSTRESN": "ALSFRSBL"})
    svc = _baseline(adsl, sdtm, "RE", "SVCPP").rename(columns={"RESTRESN": "SVCPPBL"})
    return derive_vars_merged(derive_vars_merged(adsl, alsfrs, by_vars=KEYS), svc, by_vars=KEYS)


def _rounded(values: pd.Series, spec: Spec, variable: str) -> pd.Series:
    """A computed ADSL value rounded to the Significant Digits of its specification, halves away from zero."""
    digits = spec.adam["ADSL"].variable(variable).significant_digits
    if digits is None:
        raise ValueError(f"ADSL.{variable} is rounded to its Significant Digits, which its specification lacks")
    return round_half_away(values, digits)


def _disposition(adsl: pd.DataFrame, sdtm: dict, dm: pd.DataFrame) -> pd.DataFrame:
    adsl["DTHDT"] = to_date(adsl["USUBJID"].map(dm.set_index("USUBJID")["DTHDTC"]))
    dd = sdtm["DD"]
    cause = dd[dd["DDTESTCD"] == "PRCDTH"]
    cause = cause.assign(DTHCAUS=cause["DDSTRESC"].where(cause["DDSTRESC"] != "", cause["DDORRES"]))
    adsl = derive_vars_merged(adsl, cause[[*KEYS, "DTHCAUS"]], by_vars=KEYS)
    alive = last_alive(alive_records(sdtm, dm))[[*KEYS, "ADT"]].rename(columns={"ADT": "LSTALVDT"})
    adsl = derive_vars_merged(adsl, alive, by_vars=KEYS)
    ds = sdtm["DS"]
    end = ds[(ds["DSCAT"] == "DISPOSITION EVENT") & (ds["DSSCAT"] == "STUDY PARTICIPATION")]
    end = end.assign(EOSDT=to_date(end["DSSTDTC"]), _DECOD=end["DSDECOD"])
    adsl = derive_vars_merged(adsl, end[[*KEYS, "EOSDT", "_DECOD"]], by_vars=KEYS, order=["EOSDT"], mode="last")
    adsl["EOSSTT"] = np.select([adsl["_DECOD"].isna(), adsl["_DECOD"] == "COMPLETED"],
                               ["ONGOING", "COMPLETED"], "DISCONTINUED")
    adsl["DCSREAS"] = adsl["_DECOD"].where(adsl["EOSSTT"] == "DISCONTINUED")
    return adsl.drop(columns="_DECOD")


def _als_characteristics(adsl: pd.DataFrame, sdtm: dict, spec: Spec) -> pd.DataFrame:
    """ONSETSIT and ELESCAT (MT.ADSL.ONSETSIT, MT.ADSL.ELESCAT): the SUPPMH qualifiers of the MH record of
    the ALS diagnosis, named as their QNAM; ELESCATN orders ELESCAT by its codelist."""
    mh, supp = sdtm["MH"], sdtm["SUPPMH"]
    diagnosis = mh[(mh["MHCAT"] == "PRIMARY DIAGNOSIS") & (mh["MHEVDTYP"] == "DIAGNOSIS")][[*KEYS, "MHSEQ"]]
    quals = supp[(supp["RDOMAIN"] == "MH") & (supp["IDVAR"] == "MHSEQ")]
    quals = quals.assign(MHSEQ=pd.to_numeric(quals["IDVARVAL"], errors="coerce")).merge(diagnosis, on=[*KEYS, "MHSEQ"])
    for qnam in ("ONSETSIT", "ELESCAT"):
        values = quals[quals["QNAM"] == qnam][[*KEYS, "QVAL"]].rename(columns={"QVAL": qnam})
        adsl = derive_vars_merged(adsl, values, by_vars=KEYS)
    return derive_var_code(adsl, spec.adam, source_var="ELESCAT", new_var="ELESCATN", codelist="ELESCATN")


def _exposure(adsl: pd.DataFrame, sdtm: dict, spec: Spec) -> pd.DataFrame:
    """NCYCLE, NINJ, NINJPL, RDI from EX, one record per injection given (MT.ADSL.NCYCLE and following).
    Planned injections are those of every cycle from the first to the last one started."""
    ex = sdtm["EX"]
    cycle = pd.to_numeric(ex["EXGRPID"].str.extract(r"(\d+)$")[0], errors="coerce")
    per_subject = ex.assign(_CYCLE=cycle).groupby(KEYS, as_index=False).agg(
        NCYCLE=("_CYCLE", "nunique"), NINJ=("USUBJID", "size"), _LAST=("_CYCLE", "max"))
    per_subject["NINJPL"] = per_subject["_LAST"] * spec.study["treatment"]["injections_per_cycle"]
    per_subject["RDI"] = _rounded(100 * per_subject["NINJ"] / per_subject["NINJPL"], spec, "RDI")
    adsl = derive_vars_merged(adsl, per_subject[[*KEYS, "NCYCLE", "NINJ", "NINJPL", "RDI"]], by_vars=KEYS)
    untreated = (adsl["ITTFL"] == "Y") & adsl["TRTSDT"].isna()
    adsl[["NCYCLE", "NINJ"]] = adsl[["NCYCLE", "NINJ"]].mask(untreated, 0)
    return adsl


def derive_adsl(sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    dm = sdtm["DM"]
    adsl = dm[list(predecessors(spec, "ADSL", "DM").values())].rename(
        columns={v: k for k, v in predecessors(spec, "ADSL", "DM").items()})
    adsl = _randomised(adsl, sdtm)
    adsl["AGE"] = pd.to_numeric(adsl["AGE"])
    adsl = derive_var_group(adsl, spec.adam, source_var="AGE", new_var="AGEGR1", codelist="AGEGR1")
    adsl = derive_var_code(adsl, spec.adam, source_var="AGEGR1", new_var="AGEGR1N", codelist="AGEGR1N")
    adsl = _population_and_treatment(adsl, sdtm, spec)
    adsl = _strata(adsl, sdtm, spec)
    adsl = _disease(adsl, sdtm, spec)
    adsl = _als_characteristics(adsl, sdtm, spec)
    adsl = _exposure(adsl, sdtm, spec)
    return _disposition(adsl, sdtm, dm).drop(columns=["ONSETDTC"])
