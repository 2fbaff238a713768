"""TE: trial elements, from study.toml [trial_design]."""

import pandas as pd

from cdisc_mirocals.sdtm.context import Context


def map_te(ctx: Context) -> pd.DataFrame:
    elements = ctx.spec.study["trial_design"]["elements"]
    return pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "TE",
        "ETCD": [e["etcd"] for e in elements], "ELEMENT": [e["element"] for e in elements],
        "TESTRL": [e["testrl"] for e in elements], "TEENRL": [e["teenrl"] for e in elements],
        "TEDUR": [e["tedur"] for e in elements],
    })
