"""Nothing lost: every raw record is either mapped to SDTM or excluded with its reason."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.raw import LINE, RawStudy
from cdisc_mirocals.sdtm.context import FORM, Context


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
    domains = (mapped.drop_duplicates().groupby([FORM, LINE])["DOMAIN"]
               .agg(lambda d: " ".join(sorted(d))).rename("DOMAINS"))
    excluded = (pd.concat(ctx.exclusions, ignore_index=True) if ctx.exclusions
                else pd.DataFrame(columns=["FORM", "LINE", "SUBJID", "REASON"]))
    reasons = excluded.groupby(["FORM", "LINE"])["REASON"].agg("; ".join)
    rows = []
    for name, df in raw.forms.items():
        keys = pd.MultiIndex.from_arrays([[name] * len(df), df[LINE].to_numpy()])
        rows.append(pd.DataFrame({
            "FORM": name, "FILE": raw.file(name), "LINE": df[LINE].to_numpy(),
            "SUBJID": df["SUBJID"].astype("string").str.strip().to_numpy(),
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
