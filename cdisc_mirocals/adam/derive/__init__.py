"""The ADaM derivation toolkit, in the manner of admiral: one verb per derivation, the dataset first,
the same argument names everywhere (dataset, by_vars, new_var, order), a new frame returned."""

from cdisc_mirocals.adam.derive.dates import derive_vars_dt, derive_vars_dtm, derive_vars_duration
from cdisc_mirocals.adam.derive.flags import derive_var_extreme_flag
from cdisc_mirocals.adam.derive.merge import derive_vars_merged
from cdisc_mirocals.adam.derive.tte import TTESource, censor_source, derive_param_tte, event_source
from cdisc_mirocals.dates import derive_vars_dy
from cdisc_mirocals.emergence import derive_var_trtemfl, derive_vars_ae_dates

__all__ = ["TTESource", "censor_source", "derive_param_tte", "derive_var_extreme_flag", "derive_var_trtemfl",
           "derive_vars_ae_dates", "derive_vars_dt", "derive_vars_dtm", "derive_vars_duration", "derive_vars_dy", "derive_vars_merged", "event_source"]
