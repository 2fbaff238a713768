"""TA: trial arms, from study.toml [trial_design] and [treatment]."""

import pandas as pd

from cdisc_mirocals.sdtm.context import Context


def arm_names(ctx: Context) -> dict[str, str]:
    tr = ctx.spec.study["treatment"]
    return {tr["active_armcd"]: tr["active_arm"], tr["placebo_armcd"]: tr["placebo_arm"]}


def map_ta(ctx: Context) -> pd.DataFrame:
    design = ctx.spec.study["trial_design"]
    elements = {e["etcd"]: e for e in design["elements"]}
    names = arm_names(ctx)
    rows = []
    for arm in design["arms"]:
        for order, etcd in enumerate(arm["elements"], start=1):
            rows.append({
                "ARMCD": arm["armcd"], "ARM": names[arm["armcd"]], "TAETORD": order, "ETCD": etcd,
                "ELEMENT": elements[etcd]["element"], "EPOCH": elements[etcd]["epoch"],
                "TABRANCH": arm.get("tabranch", {}).get(etcd, ""), "TATRANS": arm.get("tatrans", {}).get(etcd, ""),
            })
    return pd.DataFrame(rows).assign(STUDYID=ctx.studyid, DOMAIN="TA")
