"""The mess real EDC exports carry, written on purpose so the mappers must cope with it.

Documented in docs/simulator.md: stray spaces and odd case in coded fields. Partial dates,
missing values, out-of-window visits and screen failures are produced where the data are made.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.simulate.subjects import stream

# form: coded columns that sites type or pick and exports pass through untouched
CODED_FIELDS = {
    "ENROL": ("COUNTRY", "SEX", "RACE", "ETHNIC", "ONSETSIT"),
    "AE": ("AESER", "AESEV", "AEREL", "AEOUT"),
    "CM": ("CMDOSFRQ", "CMROUTE"),
    "VISIT": ("VISIT",),
    "VS": ("VISIT",),
    "LAB": ("LBTESTCD",),
}
_VARIANTS = (str.lower, str.upper, lambda v: " " + v, lambda v: v + " ", lambda v: "  " + v.lower() + " ")


def untidy(forms: dict[str, pd.DataFrame], seed: int, share: float) -> dict[str, pd.DataFrame]:
    out = dict(forms)
    for form, columns in CODED_FIELDS.items():
        if form not in out:
            continue  # a partial run (simulate_study's `forms`)
        rng = stream(seed, f"mess-{form}")  # one stream per form: a partial run messes each form alike
        df = out[form].copy()
        for col in columns:
            values = df[col].to_numpy(dtype=object).copy()
            hit = np.flatnonzero((rng.random(len(df)) < share) & (values != ""))
            kinds = rng.integers(len(_VARIANTS), size=len(hit))
            values[hit] = [_VARIANTS[k](v) for k, v in zip(kinds, values[hit])]
            df[col] = values
        out[form] = df
    return out
