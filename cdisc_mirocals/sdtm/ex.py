"""EX: one record per administered injection (COM.EX.GRAN); every planned injection, missed ones included,
is in EC (COM.EC), from which EX is derived."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.raw.schema import normalise
from cdisc_mirocals.sdtm.common import derive_var_epoch
from cdisc_mirocals.sdtm.context import Context


def sole_term(ctx: Context, codelist: str) -> str:
    """A Protocol constant: the one term the study's subset of `codelist` holds."""
    terms = ctx.spec.sdtm.codelists[codelist].values
    if len(terms) != 1:
        raise ValueError(f"codelist {codelist} must hold exactly one term, has {terms}")
    return terms[0]


def injection_ids(inj: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """--GRPID and --SPID of injection log rows: the cycle (MT.EXGRPID) and the CRF line (MT.EXSPID)."""
    cycle, day = inj["CYCLE"].astype(int), inj["INJDAY"].astype(int)
    # made once per (cycle, day): a string per injection record is what a large study cannot afford
    codes, pairs = pd.factorize(pd.MultiIndex.from_arrays([cycle.to_numpy(), day.to_numpy()]))
    number = pd.Series(pairs.get_level_values(0)).map("{:02d}".format).astype(object)  # text when nothing was given
    days = pd.Series(pairs.get_level_values(1)).astype(str)
    grpid, spid = ("CYCLE" + number).to_numpy(dtype=object), ("C" + number + "-D" + days).to_numpy(dtype=object)
    return (pd.Series(grpid[codes], index=inj.index, dtype=object, name="CYCLE"),
            pd.Series(spid[codes], index=inj.index, dtype=object))


def _visits(ex: pd.DataFrame, sv: pd.DataFrame) -> pd.DataFrame:
    """MT.EXVISIT: the visit held on the injection date (on-site injection); none for home injections."""
    on_date = (sv.sort_values("VISITNUM").drop_duplicates(["USUBJID", "SVSTDTC"])
               .rename(columns={"SVSTDTC": "EXSTDTC"})[["USUBJID", "EXSTDTC", "VISITNUM", "VISIT"]])
    return ex.merge(on_date, on=["USUBJID", "EXSTDTC"], how="left").set_axis(ex.index)


def map_ex(ctx: Context) -> pd.DataFrame:
    given = ctx.injections_given()
    tr = ctx.spec.study["treatment"]
    rand = ctx.raw["RAND"]
    allocation = dict(zip(rand["SUBJID"].str.strip(), normalise(rand["RANDTRT"].fillna(""))))
    extrt = given["SUBJID"].str.strip().map(allocation).map(
        {tr["active_arm"].casefold(): tr["active"], tr["placebo_arm"].casefold(): tr["placebo"]})
    # MT.EXDOSE: placebo has no active substance; a blank dose on a given injection is the protocol dose.
    dose = np.where(extrt == tr["placebo"], 0.0, given["INJDOSE"].astype("float64").fillna(tr["dose"]))
    grpid, spid = injection_ids(given)
    ex = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "EX", "USUBJID": ctx.usubjid(given["SUBJID"]),
        "EXGRPID": grpid, "EXSPID": spid,
        "EXTRT": extrt, "EXDOSE": dose,
        "EXDOSU": ctx.ct(given.assign(INJDOSU=given["INJDOSU"].fillna(tr["dose_unit"])), "INJDOSU", "UNIT_EX"),
        "EXDOSFRM": sole_term(ctx, "FRM_EX"), "EXDOSFRQ": sole_term(ctx, "FREQ_EX"),
        "EXDOSRGM": f"{tr['injections_per_cycle']} DAYS ON, "
                    f"{tr['cycle_length_days'] - tr['injections_per_cycle']} DAYS OFF",
        "EXROUTE": sole_term(ctx, "ROUTE_EX"),
        "EXSTDTC": given["INJDAT"], "EXENDTC": given["INJDAT"],
        "_FORM": given["_FORM"], "_LINE": given["_LINE"],
    })
    ex = _visits(ex, ctx.datasets["SV"])
    ex = derive_var_epoch(ex, ctx.datasets["SE"], dtc_var="EXSTDTC")
    ex = ctx.study_days(ex, {"EXSTDY": "EXSTDTC", "EXENDY": "EXENDTC"})
    return ctx.number_records(ex, "EX")
