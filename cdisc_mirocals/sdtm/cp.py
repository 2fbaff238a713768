"""CP: regulatory T cells by flow cytometry (raw TREG), a count and two percentages (of CD4+ T cells and of
lymphocytes) per sample."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.sdtm._findings import (RESULT, decode, drop_blank_rows, finish, number_text, per_test, stack,
                                           standard_units)
from cdisc_mirocals.sdtm.context import Context

TESTS = {"TREGCNT": "TLR", "TREGPCT": "TLHRTLH", "TREGLY": "TLRLY"}  # COM.CP.TREG
CAT, METHOD, TPTREF = "IMMUNOPHENOTYPING", "FLOW CYTOMETRY", "CYCLE START"  # COM.CP.TREG, COM.CP.TPT


def map_cp(ctx: Context) -> pd.DataFrame:
    treg = drop_blank_rows(ctx, ctx.drop_screen_failures(ctx.form("TREG")), TESTS, "regulatory T-cell")
    long = stack(treg.assign(_TPT=ctx.ct(treg, "TRGTPT", "CPTPT")), TESTS, "CPTESTCD")
    tpt = long["_TPT"]
    # CPTPTNUM is the time point's order in codelist CPTPT (PRE-CYCLE 1, END OF CYCLE 2).
    tptnum = tpt.map({t.term: t.order for t in ctx.spec.sdtm.codelists["CPTPT"].terms})
    result = number_text(long[RESULT])
    unit = long["CPTESTCD"].map(standard_units(ctx.spec, "CP", "CPTESTCD", "CPSTRESU"))
    # COM.CP.MRK: the marker set is the sole term of each test's value-level codelist, as the unit is.
    markers = long["CPTESTCD"].map(standard_units(ctx.spec, "CP", "CPTESTCD", "CPMRKSTR"))
    cp = pd.DataFrame({
        "USUBJID": ctx.usubjid(long["SUBJID"]), "VISIT": long["VISIT"], "CPDTC": long["TRGDAT"],
        "CPTESTCD": long["CPTESTCD"], "CPTEST": decode(ctx, long["CPTESTCD"], "CPTESTCD"),
        "CPMRKSTR": markers, "CPCAT": CAT,
        "CPORRES": result, "CPORRESU": unit, "CPSTRESC": result, "CPSTRESN": long[RESULT].astype(float),
        "CPSTRESU": unit, "CPSPEC": long["CPTESTCD"].map(per_test(ctx.spec, "CP", "CPTESTCD", "CPSPEC")),
        "CPMETHOD": METHOD, "CPTPT": tpt, "CPTPTNUM": tptnum, "CPTPTREF": TPTREF,
        "_FORM": long["_FORM"], "_LINE": long["_LINE"],
    })
    # Only the pre-cycle sample is drawn before the day's injection.
    return finish(ctx, cp, "CP", lobxfl_by=["CPSPEC", "CPTPTNUM"], predose=tptnum == 1)
