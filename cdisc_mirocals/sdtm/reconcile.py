"""Nothing lost: every raw record is either mapped to SDTM or excluded with its reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.raw import LINE, RawStudy
from cdisc_mirocals.sdtm.context import FORM, Context
from cdisc_mirocals.text import strip


def reconcile(raw: RawStudy, ctx: Context) -> pd.DataFrame:
    """One row per raw record: FORM, FILE, LINE, SUBJID, STATUS (mapped/excluded), DOMAINS, REASON.

    Raises RuntimeError if a raw record is neither mapped nor excluded, or is both: that is a
    mapper bug, never a user error.
    """
    sources = [frame[[FORM, LINE]].assign(DOMAIN=name) for name, frame in ctx.datasets.items()
               if FORM in frame.columns]
    mapped = (pd.concat(sources, ignore_index=True).dropna(subset=[FORM, LINE])
              if sources else pd.DataFrame(columns=[FORM, LINE, "DOMAIN"]))
    mapped[LINE] = mapped[LINE].astype("int64")
    domains = _domain_lists(mapped)
    excluded = (pd.concat(ctx.exclusions, ignore_index=True) if ctx.exclusions
                else pd.DataFrame(columns=["FORM", "LINE", "SUBJID", "REASON"]))
    reasons = _joined_reasons(excluded)
    rows = []
    for name, df in raw.forms.items():
        keys = pd.MultiIndex.from_arrays([[name] * len(df), df[LINE].to_numpy()])
        rows.append(pd.DataFrame({
            "FORM": name, "FILE": raw.file(name), "LINE": df[LINE].to_numpy(),
            "SUBJID": strip(df["SUBJID"]).to_numpy(),
            "DOMAINS": domains.reindex(keys).to_numpy(), "REASON": reasons.reindex(keys).to_numpy(),
        }))
    out = pd.concat(rows, ignore_index=True)
    is_mapped, is_excluded = out["DOMAINS"].notna(), out["REASON"].notna()
    bad = out[is_mapped == is_excluded]
    if len(bad):
        raise RuntimeError("raw records neither mapped nor excluded, or both:\n" + bad.head(20).to_string())
    out["STATUS"] = is_mapped.map({True: "mapped", False: "excluded"})
    out["DOMAINS"] = out["DOMAINS"].fillna("")
    out["REASON"] = out["REASON"].fillna("")
    return out[["FORM", "FILE", "LINE", "SUBJID", "STATUS", "DOMAINS", "REASON"]]


def _domain_lists(mapped: pd.DataFrame) -> pd.Series:
    """{(form, line): the domains its records went to, sorted, space-separated}. Each record's set of
    domains is summed as bits, so that only the few distinct sets are joined as text."""
    names = np.sort(mapped["DOMAIN"].unique())
    if len(names) > 62:
        raise RuntimeError(f"{len(names)} domains do not fit the bits of an int64")
    records = mapped.drop_duplicates()
    bits = pd.Series(np.left_shift(1, np.searchsorted(names, records["DOMAIN"].to_numpy())).astype("int64"),
                     index=pd.MultiIndex.from_frame(records[[FORM, LINE]]))
    sets = bits.groupby(level=[0, 1]).sum()
    text = {m: " ".join(n for i, n in enumerate(names) if m >> i & 1) for m in sets.unique()}
    return sets.map(text).rename("DOMAINS")


def _joined_reasons(excluded: pd.DataFrame) -> pd.Series:
    """{(form, line): its exclusion reasons joined by "; ", in the order they were recorded}."""
    several = excluded.duplicated(["FORM", "LINE"], keep=False)
    once = excluded[~several].set_index(["FORM", "LINE"])["REASON"]
    return pd.concat([once, excluded[several].groupby(["FORM", "LINE"])["REASON"].agg("; ".join)])
