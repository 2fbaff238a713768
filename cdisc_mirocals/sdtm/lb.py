"""LB: central laboratory safety tests (raw LAB) and the baseline CSF pNFH biomarker (raw CSF)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.sdtm._findings import NOT_DONE, decode, finish, number_text, per_test, standard_units
from cdisc_mirocals.sdtm.context import Context

NFHP, BIOMARKER = "NFHP", "BIOMARKER"  # COM.LB.NFHP


def _lab(ctx: Context, lab: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ctx.usubjid(lab["SUBJID"]), "VISIT": lab["VISIT"], "LBDTC": lab["LBDAT"],
        "LBTESTCD": ctx.ct(lab, "LBTESTCD", "LBTESTCD"), "LBCAT": ctx.ct(lab, "LBCAT", "LBCAT"),
        "LBORRES": number_text(lab["LBORRES"]), "LBORRESU": ctx.ct(lab, "LBORRESU", "LBUNIT"),
        "LBORNRLO": number_text(lab["LBORNRLO"]), "LBORNRHI": number_text(lab["LBORNRHI"]),
        "LBSTAT": ctx.ct(lab, "LBSTAT", "ND"), "LBREASND": lab["LBREASND"].str.strip(),
        "_FORM": lab["_FORM"], "_LINE": lab["_LINE"],
    })


def _planned_visit_date(ctx: Context, raw: pd.DataFrame) -> pd.Series:
    """SV.SVSTDTC of the subject's visit named by the raw VISIT: the date of a test planned there."""
    sv = ctx.datasets["SV"].drop_duplicates(["USUBJID", "VISIT"]).set_index(["USUBJID", "VISIT"])["SVSTDTC"]
    keys = pd.MultiIndex.from_arrays([ctx.usubjid(raw["SUBJID"]), raw["VISIT"].str.strip().str.upper()])
    return pd.Series(sv.reindex(keys).to_numpy(), index=raw.index, dtype="string")


def _csf(ctx: Context, csf: pd.DataFrame) -> pd.DataFrame:
    """One NFHP record per subject; no result (lumbar puncture not done) gives LBSTAT NOT DONE, dated at
    the visit the puncture was planned for (COM.LB.DTC)."""
    # pNFH is collected in the study unit (study.toml pnfh_unit); ctmap.csv names its CT term.
    unit = ctx.ct(csf.assign(pnfh_unit=ctx.spec.study["parameters"]["pnfh_unit"]), "pnfh_unit", "LBUNIT")
    result = number_text(csf["PNFH"])
    return pd.DataFrame({
        "USUBJID": ctx.usubjid(csf["SUBJID"]), "VISIT": csf["VISIT"],
        "LBDTC": csf["LPDAT"].astype("string").fillna(_planned_visit_date(ctx, csf)),
        "LBTESTCD": NFHP, "LBCAT": BIOMARKER, "LBORRES": result, "LBORRESU": unit,
        "LBSTAT": pd.Series(NOT_DONE, index=csf.index, dtype="string").where(result.isna()),
        "LBREASND": csf["LPREASND"].str.strip().where(result.isna()),
        "_FORM": csf["_FORM"], "_LINE": csf["_LINE"],
    })


def _check_units(ctx: Context, lb: pd.DataFrame, standard: pd.Series) -> None:
    """MT.LBSTRES: results come in the standard unit; any other unit is a data error, not a guess."""
    wrong = lb["LBORRES"].notna() & lb["LBORRESU"].notna() & (lb["LBORRESU"] != standard)
    bad = lb[wrong]
    for form, line, test, value, unit in zip(bad["_FORM"], bad["_LINE"], bad["LBTESTCD"], bad["LBORRESU"],
                                             standard[wrong]):
        ctx.ct_errors.append(Problem(ctx.raw.file(form), int(line), "LBORRESU", value,
                                     f"the standard unit of {test}, {unit} (specs valuelevel LBSTRESU)"))


def _standard_results(ctx: Context, lb: pd.DataFrame) -> pd.DataFrame:
    standard = lb["LBTESTCD"].map(standard_units(ctx.spec, "LB", "LBTESTCD", "LBSTRESU"))
    _check_units(ctx, lb, standard)
    found = lb["LBORRES"].notna()
    n, lo, hi = (pd.to_numeric(lb[c]).astype(float) for c in ("LBORRES", "LBORNRLO", "LBORNRHI"))
    # object choices: every record points at one of four strings rather than holding its own
    nrind = np.select([n < lo, n > hi, (n >= lo) & (n <= hi)],
                      [np.array(v, dtype=object) for v in ("LOW", "HIGH", "NORMAL")], np.array("", dtype=object))
    return lb.assign(LBORRESU=lb["LBORRESU"].where(found), LBSTRESC=lb["LBORRES"], LBSTRESN=n,
                     LBSTRESU=standard.where(found), LBSTNRLO=lo, LBSTNRHI=hi, LBNRIND=nrind)


def map_lb(ctx: Context) -> pd.DataFrame:
    lab = ctx.drop_screen_failures(ctx.form("LAB"))
    csf = ctx.drop_screen_failures(ctx.form("CSF"))
    lb = pd.concat([_lab(ctx, lab), _csf(ctx, csf)], ignore_index=True)
    lb["LBTEST"] = decode(ctx, lb["LBTESTCD"], "LBTESTCD")
    lb["LBSPEC"] = lb["LBTESTCD"].map(per_test(ctx.spec, "LB", "LBTESTCD", "LBSPEC"))
    return finish(ctx, _standard_results(ctx, lb), "LB", lobxfl_by=["LBSPEC"])
