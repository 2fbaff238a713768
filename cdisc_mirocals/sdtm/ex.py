"""EX: one record per administered injection (COM.EX.GRAN); missed injections are excluded."""

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


def _exclude_missed(ctx: Context, inj: pd.DataFrame, given: pd.DataFrame) -> None:
    missed = inj.drop(index=given.index)
    reason = missed["INJREAS"].str.strip().fillna("reason not recorded")
    for why, records in missed.groupby(reason):
        ctx.exclude(records, f"injection not given (missed dose: {why}): EX holds administered doses only")


def _visits(ex: pd.DataFrame, sv: pd.DataFrame) -> pd.DataFrame:
    """MT.EXVISIT: the visit held on the injection date (on-site injection); none for home injections."""
    on_date = (sv.sort_values("VISITNUM").drop_duplicates(["USUBJID", "SVSTDTC"])
               .rename(columns={"SVSTDTC": "EXSTDTC"})[["USUBJID", "EXSTDTC", "VISITNUM", "VISIT"]])
    return ex.merge(on_date, on=["USUBJID", "EXSTDTC"], how="left").set_axis(ex.index)


def map_ex(ctx: Context) -> pd.DataFrame:
    inj = ctx.form("INJ")
    given = ctx.injections_given()
    _exclude_missed(ctx, inj, given)
    tr = ctx.spec.study["treatment"]
    rand = ctx.raw["RAND"]
    allocation = dict(zip(rand["SUBJID"].str.strip(), normalise(rand["RANDTRT"].fillna(""))))
    extrt = given["SUBJID"].str.strip().map(allocation).map(
        {tr["active_arm"].casefold(): tr["active"], tr["placebo_arm"].casefold(): tr["placebo"]})
    # MT.EXDOSE: placebo has no active substance; a blank dose on a given injection is the protocol dose.
    dose = np.where(extrt == tr["placebo"], 0.0, given["INJDOSE"].astype("float64").fillna(tr["dose"]))
    cycle, day = given["CYCLE"].astype(int), given["INJDAY"].astype(int)
    ex = pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "EX", "USUBJID": ctx.usubjid(given["SUBJID"]),
        "EXGRPID": cycle.map("CYCLE{:02d}".format).astype(object),  # object: text even with no injection
        "EXSPID": "C" + cycle.map("{:02d}".format).astype(object) + "-D" + day.astype(str),
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
