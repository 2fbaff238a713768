"""The Trial Summary parameters the FDA requires (P21's SD22nn), some only when another parameter calls
for them, and the study start date's format."""

from __future__ import annotations

from cdisc_mirocals.validate.rules import Hit, declare, rows, rule
from cdisc_mirocals.dates import is_iso8601

TS_REQUIRED = {
    "SD2201": "ADDON", "SD2202": "AGEMAX", "SD2203": "AGEMIN", "SD2204": "LENGTH", "SD2205": "PLANSUB",
    "SD2206": "RANDOM", "SD2207": "SEXPOP", "SD2208": "STOPRULE", "SD2209": "TBLIND", "SD2210": "TCNTRL",
    "SD2211": "TDIGRP", "SD2212": "TINDTP", "SD2213": "TITLE", "SD2214": "TPHASE", "SD2215": "TTYPE",
    "SD2216": "CURTRT", "SD2217": "OBJPRIM", "SD2218": "SPONSOR", "SD2219": "TRT", "SD2221": "REGID",
    "SD2222": "OUTMSPRI", "SD2223": "PCLAS", "SD2224": "FCNTRY", "SD2225": "ADAPT", "SD2226": "DCUTDTC",
    "SD2227": "DCUTDESC", "SD2228": "INTMODEL", "SD2229": "NARMS", "SD2230": "STYPE", "SD2231": "INTTYPE",
    "SD2232": "SSTDTC", "SD2233": "SENDTC", "SD2234": "ACTSUB", "SD2235": "HLTSUBJI", "SD2273": "EXTTIND",
    "SD2274": "NCOHORT", "SD2275": "OBJSEC", "SD2276": "PDPSTIND", "SD2277": "PDSTIND", "SD2278": "PIPIND",
    "SD2279": "RDIND", "SD2280": "SDTIGVER", "SD2281": "SDTMVER", "SD2282": "THERAREA", "SD2287": "ONGOSIND",
}
# the FDA needs the study start date to process a submission at all
TS_REJECT = {"SD2232"}
# parameters required only when another parameter has a value (P21's descriptions; SD1306-SD1312)
TS_CONDITIONS = {"SD2211": ("HLTSUBJI", "N"), "SD2216": ("ADDON", "Y"), "SD2212": ("STYPE", "INTERVENTIONAL"),
                 "SD2219": ("STYPE", "INTERVENTIONAL"), "SD2223": ("STYPE", "INTERVENTIONAL"),
                 "SD2228": ("STYPE", "INTERVENTIONAL"), "SD2231": ("STYPE", "INTERVENTIONAL")}


def ts_parameters(study) -> set[str] | None:
    ts = study.get("TS")
    return None if ts is None or "TSPARMCD" not in ts.frame else set(ts.frame["TSPARMCD"])


def ts_value(study, parameter: str) -> set[str]:
    ts = study.get("TS")
    if ts is None or not ts.has("TSPARMCD", "TSVAL"):
        return set()
    return set(ts.frame.loc[ts.frame["TSPARMCD"] == parameter, "TSVAL"].str.strip().str.upper())


def _ts_rule(rule_id: str, parameter: str):
    def check(study):
        present = ts_parameters(study)
        condition = TS_CONDITIONS.get(rule_id)
        if condition and condition[1] not in ts_value(study, condition[0]):
            return
        if present is not None and parameter not in present:
            yield Hit("TS", None, ("TSPARMCD",), values=parameter, detail=f"no TS record with TSPARMCD = {parameter}")
    declare(rule_id, "Reject" if rule_id in TS_REJECT else "Warning", "design", check=check)


for _id, _parm in TS_REQUIRED.items():
    _ts_rule(_id, _parm)


def _sstdtc(study):
    ts = study.get("TS")
    if ts is None or not ts.has("TSPARMCD", "TSVAL"):
        return None, None
    return ts, ts.frame["TSPARMCD"].eq("SSTDTC")


@rule("SD2247", "Reject", "design")
def sstdtc_iso(study):
    ts, mask = _sstdtc(study)
    if ts is not None:
        bad = mask & (~is_iso8601(ts.frame["TSVAL"]).to_numpy() | ts.frame["TSVAL"].eq(""))
        if bad.any():
            yield Hit("TS", rows(bad), ("TSPARMCD", "TSVAL"), detail="expected an ISO 8601 date")


@rule("SD2247A", "Reject", "design")
def sstdtc_complete(study):
    ts, mask = _sstdtc(study)
    if ts is not None:
        bad = mask & is_iso8601(ts.frame["TSVAL"]).to_numpy() & ts.frame["TSVAL"].ne("") & (ts.frame["TSVAL"].str.len() < 10)
        if bad.any():
            yield Hit("TS", rows(bad), ("TSPARMCD", "TSVAL"), detail="expected a complete date YYYY-MM-DD")
