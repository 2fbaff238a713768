"""TS: one record per trial summary parameter value (COM.TS). Values come from specs/study.toml, and
the study start and end dates and number of subjects from DM; every parameter of codelist TSPARMCD
has a value or a null flavor. TSVALCD/TSVCDREF/TSVCDVER follow value-level metadata (COM.TS.VAL)."""

import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_seq
from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.spec import ValueLevel

CDISC_CT, ISO_3166 = "CDISC CT", "ISO 3166"


def _derived(ctx: Context) -> dict[str, object]:
    """Parameters whose value another section of study.toml, or the data, already holds."""
    st = ctx.spec.study
    study, tr, visits, ages = st["study"], st["treatment"], st["schedule"]["visits"], st["parameters"]["age_range"]
    dm = ctx.datasets["DM"]
    randomised = dm[dm["ARMCD"].fillna("") != ""]
    return {
        "TITLE": study["title"], "SPONSOR": study["sponsor"], "TPHASE": study["phase"],
        "INDIC": study["indication"], "TDIGRP": study["indication"], "REGID": study["registry_id"],
        "FCNTRY": study["countries"], "TRT": tr["active"], "COMPTRT": tr["placebo"], "DOSE": tr["dose"],
        "ROUTE": tr["route"], "PTRTDUR": f"P{tr['cycles'] * tr['cycle_length_days']}D",
        "AGEMIN": f"P{ages[0]}Y", "AGEMAX": f"P{ages[1]}Y", "NARMS": len(st["trial_design"]["arms"]),
        # A parallel randomised trial without cohorts: its groups are the arms.
        "NCOHORT": len(st["trial_design"]["arms"]),
        # Nominal span of the schedule, first to last planned visit day (study days have no day 0).
        "LENGTH": f"P{visits[-1]['day'] - visits[0]['day']}D",
        "SDTIGVER": st["standards"]["sdtmig"], "SDTMVER": st["standards"]["sdtm"],
        "DCUTDTC": st["recruitment"]["data_cutoff"],
        "SSTDTC": dm["RFICDTC"].dropna().min(), "SENDTC": randomised["RFPENDTC"].dropna().max(),
        "ACTSUB": len(randomised),
    }


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _coding(ctx: Context, vlm: ValueLevel | None, value: str, external: dict | None) -> dict[str, str]:
    """TSVALCD, TSVCDREF and TSVCDVER of a value. A date, a duration or a free text has no dictionary code, and
    C66788 has no ISO 8601 term: nothing is given for it (COM.TS.VAL)."""
    if external:
        return {"TSVALCD": external.get("code", ""), "TSVCDREF": external["ref"], "TSVCDVER": external.get("version", "")}
    cl = ctx.spec.sdtm.codelists.get(vlm.codelist) if vlm else None
    if cl is not None and cl.terminology == "CDISC/NCI":
        code = next((t.nci_code for t in cl.terms if t.term == value), "")
        version = ctx.spec.study["standards"]["sdtm_ct"]
        return {"TSVALCD": code, "TSVCDREF": CDISC_CT, "TSVCDVER": version} if code else {}
    if cl is not None and cl.terminology.startswith(ISO_3166):
        return {"TSVALCD": value, "TSVCDREF": ISO_3166}
    return {}


def map_ts(ctx: Context) -> pd.DataFrame:
    sdtm, config = ctx.spec.sdtm, ctx.spec.study["trial_summary"]
    given = {k: v for k, v in config.items() if not isinstance(v, dict)}
    derived = _derived(ctx)
    if twice := sorted(given.keys() & derived.keys()):
        raise ValueError(f"study.toml [trial_summary] repeats derived TS parameters: {twice}")
    values = {**given, **derived}
    null_flavor, dictionary = config.get("null_flavor", {}), config.get("dictionary", {})
    vlm = {v.where[0].values[0]: v for v in sdtm.valuelevel if v.dataset == "TS" and v.variable == "TSVAL"}
    parms = sdtm.codelists["TSPARMCD"]
    missing = [p for p in parms.values if p not in values and p not in null_flavor]
    if missing:
        raise ValueError(f"TS parameters with neither a value nor a null flavor in study.toml: {missing}")
    rows = []
    for parm in parms.values:
        if parm not in values:
            rows.append({"TSPARMCD": parm, "TSVALNF": null_flavor[parm]})
            continue
        for value in map(_text, values[parm] if isinstance(values[parm], list) else [values[parm]]):
            rows.append({"TSPARMCD": parm, "TSVAL": value, **_coding(ctx, vlm.get(parm), value, dictionary.get(parm))})
    ts = pd.DataFrame(rows).assign(STUDYID=ctx.studyid, DOMAIN="TS", _N=lambda d: range(len(d)))
    ts["TSPARM"] = ts["TSPARMCD"].map(parms.decode)
    return derive_var_seq(ts, new_var="TSSEQ", by_vars=["TSPARMCD"], order=["_N"])
