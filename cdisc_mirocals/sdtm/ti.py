"""TI: the trial's inclusion/exclusion criteria, from the sponsor codelist IETESTCD (COM.TI)."""

import pandas as pd

from cdisc_mirocals.sdtm.context import Context


def criteria(ctx: Context) -> pd.DataFrame:
    """IETESTCD, IETEST (the decode) and IECAT, whose term starts like the code (IN01 -> INCLUSION)."""
    codelists = ctx.spec.sdtm.codelists
    categories = codelists["IECAT"].values
    terms = codelists["IETESTCD"].terms
    return pd.DataFrame({
        "IETESTCD": [t.term for t in terms], "IETEST": [t.decode for t in terms],
        "IECAT": [next(c for c in categories if c.startswith(t.term[:2])) for t in terms],
    })


def map_ti(ctx: Context) -> pd.DataFrame:
    return criteria(ctx).assign(STUDYID=ctx.studyid, DOMAIN="TI")
