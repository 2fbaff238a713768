"""SUPPAE: qualifiers of AE records (COM.SUPPAE). The continuation of a reported term longer than 200
characters is derived for every domain after mapping (`longtext.py`), so this mapper starts empty."""

import pandas as pd

from cdisc_mirocals.sdtm.context import Context


def map_suppae(ctx: Context) -> pd.DataFrame:
    return pd.DataFrame(columns=ctx.spec.sdtm["SUPPAE"].names)
