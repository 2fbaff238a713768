"""VS: vital signs (raw VS), one record per collected measurement, plus BMI derived per MT.BMI."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.sdtm._findings import RESULT, decode, drop_blank_rows, finish, number_text, stack, standard_units
from cdisc_mirocals.sdtm.context import Context

HEIGHT, WEIGHT, BMI = "HEIGHT", "WEIGHT", "BMI"
SCREENING = "SCREENING"  # MT.BMI uses the height measured at the screening visit


def _bmi(long: pd.DataFrame) -> pd.DataFrame:
    """A BMI record for each weight, from the subject's screening height; flagged as derived."""
    visit = long["VISIT"].str.strip().str.upper()
    screening = long[(long["VSTESTCD"] == HEIGHT) & (visit == SCREENING)]
    height = screening.groupby("SUBJID")[RESULT].first()
    weight = long[long["VSTESTCD"] == WEIGHT]
    weight = weight.assign(_H=weight["SUBJID"].map(height).astype(float))
    weight = weight[weight["_H"].notna()]
    # Python's round, as the method's expression code says (numpy rounds some halves differently).
    bmi = [round(w / (h / 100) ** 2, 1) for w, h in zip(weight[RESULT].astype(float), weight["_H"])]
    return weight.drop(columns="_H").assign(VSTESTCD=BMI, **{RESULT: pd.array(bmi, dtype="Float64")}, _DRV=True)


def map_vs(ctx: Context) -> pd.DataFrame:
    raw = ctx.drop_screen_failures(ctx.form("VS"))
    # The raw field names are the VSTESTCD terms.
    codes = ctx.spec.sdtm.codelists["VSTESTCD"].values
    tests = {c: c for c in raw.columns if c in codes}
    long = stack(drop_blank_rows(ctx, raw, tests, "vital signs"), tests, "VSTESTCD").assign(_DRV=False)
    long = pd.concat([long, _bmi(long)], ignore_index=True)
    result = number_text(long[RESULT])
    unit = long["VSTESTCD"].map(standard_units(ctx.spec, "VS", "VSTESTCD", "VSSTRESU"))
    collected = ~long["_DRV"]
    vs = pd.DataFrame({
        "USUBJID": ctx.usubjid(long["SUBJID"]), "VISIT": long["VISIT"], "VSDTC": long["VSDAT"],
        "VSTESTCD": long["VSTESTCD"], "VSTEST": decode(ctx, long["VSTESTCD"], "VSTESTCD"),
        "VSORRES": result.where(collected), "VSORRESU": unit.where(collected), "VSSTRESC": result,
        "VSSTRESN": long[RESULT].astype(float), "VSSTRESU": unit, "VSDRVFL": long["_DRV"].map({True: "Y", False: ""}),
        "_FORM": long["_FORM"], "_LINE": long["_LINE"],
    })
    return finish(ctx, vs, "VS")
