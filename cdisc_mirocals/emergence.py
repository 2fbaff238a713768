"""Treatment emergence of adverse events: one rule for SDTM SUPPAE.AETRTEM and ADaM ADAE.TRTEMFL
(methods MT.ADAE.ASTDT, MT.ADAE.AENDT, MT.ADAE.TRTEMFL and MT.SUPPAE.AETRTEM).

It lives below SDTM and ADaM, which both call it on their own inputs (DM RFXSTDTC/RFXENDTC, ADSL
TRTSDT/TRTEDT), so the two flags cannot drift apart.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from cdisc_mirocals.assertions import assert_data_frame
from cdisc_mirocals.dates import derive_vars_dt
from cdisc_mirocals.spec import Study


def emergence_window(study: Study) -> int:
    """Days after the last dose in which an AE still counts as treatment-emergent: one cycle."""
    return int(study["treatment"]["cycle_length_days"])


def derive_vars_ae_dates(dataset: pd.DataFrame, *, trt_start_date: str = "TRTSDT", start_dtc: str = "AESTDTC",
                         end_dtc: str = "AEENDTC", max_dates: Sequence[str] = ()) -> pd.DataFrame:
    """Add ASTDT/ASTDTF and AENDT/AENDTF. A partial end date takes the last day it allows (no later than
    `max_dates`, e.g. death and data cut-off); a partial start date the first, moved up to the first
    dose when the period allows it, unless the AE ended before the first dose."""
    assert_data_frame(dataset, [trt_start_date, start_dtc, end_dtc, *max_dates], caller="derive_vars_ae_dates")
    out = derive_vars_dt(dataset, new_vars_prefix="AEN", dtc=end_dtc, highest_imputation="M",
                         date_imputation="last", max_dates=list(max_dates))
    out = derive_vars_dt(out, new_vars_prefix="AST", dtc=start_dtc, highest_imputation="M",
                         date_imputation="first", min_dates=[trt_start_date])
    ended_before = out["AENDT"] < pd.to_datetime(out[trt_start_date])
    plain = derive_vars_dt(out, new_vars_prefix="AST", dtc=start_dtc, highest_imputation="M")["ASTDT"]
    out["ASTDT"] = out["ASTDT"].mask(ended_before & (out["ASTDTF"] != ""), plain)
    return out


def derive_var_trtemfl(dataset: pd.DataFrame, *, new_var: str = "TRTEMFL", start_date: str = "ASTDT",
                       trt_start_date: str = "TRTSDT", trt_end_date: str | None = None,
                       end_window: int | None = None, end_date: str | None = None, true_value: str = "Y",
                       false_value: str = "") -> pd.DataFrame:
    """Treatment-emergent: starts on or after first dose, and, with an `end_window`, no later than
    `end_window` days after the last dose. With `end_date`, a record without a start date that did not
    end before the first dose is emergent too (the worst case); otherwise records without a start date
    are not flagged. Records without a first dose never are."""
    required = [start_date, trt_start_date] + ([trt_end_date] if trt_end_date else []) + ([end_date] if end_date else [])
    assert_data_frame(dataset, required, caller="derive_var_trtemfl")
    if end_window is not None and trt_end_date is None:
        raise ValueError("derive_var_trtemfl(): `end_window` needs `trt_end_date`")
    start, trt_start = pd.to_datetime(dataset[start_date]), pd.to_datetime(dataset[trt_start_date])
    emergent = start.notna() & trt_start.notna() & (start >= trt_start)
    if end_window is not None:
        window_end = pd.to_datetime(dataset[trt_end_date]) + pd.Timedelta(days=end_window)
        emergent &= start <= window_end
    if end_date is not None:
        ended_before = pd.to_datetime(dataset[end_date]) < trt_start
        emergent |= start.isna() & trt_start.notna() & ~ended_before
    out = dataset.copy()
    out[new_var] = np.where(emergent, true_value, false_value)
    return out
