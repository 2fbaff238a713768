"""The ADaM derivation toolkit, in the manner of admiral: one verb per derivation, the dataset first,
the same argument names everywhere (dataset, by_vars, new_var, order), a new frame returned."""

from cdisc_mirocals.adam.derive.baseline import (derive_var_analysis_ratio, derive_var_base, derive_var_chg,
                                                 derive_var_pchg)
from cdisc_mirocals.adam.derive.dates import derive_vars_dt, derive_vars_dtm, derive_vars_duration
from cdisc_mirocals.adam.derive.flags import derive_var_extreme_flag
from cdisc_mirocals.adam.derive.indicators import (derive_var_anl_flag, derive_var_anrind, derive_var_ontrtfl,
                                                   derive_var_shift, derive_vars_crit_flag)
from cdisc_mirocals.adam.derive.merge import derive_vars_merged
from cdisc_mirocals.adam.derive.order import desc
from cdisc_mirocals.adam.derive.records import derive_extreme_records, derive_locf_records, derive_param_computed
from cdisc_mirocals.adam.derive.toxicity import derive_var_atoxgr, derive_var_atoxgr_dir, toxicity_terms
from cdisc_mirocals.adam.derive.tte import TTESource, censor_source, derive_param_tte, event_source
from cdisc_mirocals.dates import derive_vars_dy
from cdisc_mirocals.adam.derive.windows import derive_vars_visit_window
from cdisc_mirocals.emergence import derive_var_trtemfl, derive_vars_ae_dates

__all__ = [
    "TTESource", "censor_source", "derive_extreme_records", "derive_locf_records", "derive_param_computed",
    "derive_param_tte", "derive_var_analysis_ratio", "derive_var_anl_flag", "derive_var_anrind", "derive_var_atoxgr",
    "derive_var_atoxgr_dir", "derive_var_base", "derive_var_chg", "derive_var_extreme_flag", "derive_var_ontrtfl",
    "derive_var_pchg", "derive_var_shift", "derive_var_trtemfl", "derive_vars_ae_dates", "derive_vars_crit_flag",
    "derive_vars_dt", "derive_vars_dtm", "derive_vars_duration", "derive_vars_dy", "derive_vars_merged",
    "derive_vars_visit_window", "desc", "event_source", "toxicity_terms",
]
