"""TV: planned visits, from study.toml [schedule]; VISITNUM is the visit's position in the schedule."""

import pandas as pd

from cdisc_mirocals.sdtm.context import Context


def map_tv(ctx: Context) -> pd.DataFrame:
    visits = ctx.spec.study["schedule"]["visits"]
    runin = ctx.spec.study["parameters"]["runin_weeks"]

    def rule(v):
        if v["visit"] == "SCREENING":
            return f"Start of the riluzole run-in, {runin[0]} to {runin[1]} weeks before randomisation"
        if v["day"] == 1:
            return "Randomisation and first injection, before dosing"
        return f"Study day {v['day']} (+/- {v['window']} days), before the cycle's first injection"

    return pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "TV",
        "VISITNUM": [float(i) for i in range(1, len(visits) + 1)], "VISIT": [v["visit"] for v in visits],
        "VISITDY": [float(v["day"]) for v in visits], "ARMCD": "", "TVSTRL": [rule(v) for v in visits],
    })
