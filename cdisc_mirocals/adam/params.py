"""Parameter metadata of a BDS dataset read from specs/adam: PARAM and PARAMN from the dataset's PARAMCD
codelists, and the value-level metadata of a variable for one PARAMCD."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.adam.codes import derive_var_code
from cdisc_mirocals.spec import Spec
from cdisc_mirocals.spec.model import ValueLevel


def param_codes(dataset: pd.DataFrame, spec: Spec, name: str) -> pd.DataFrame:
    """PARAM = the decode of PARAMCD in codelist PARAMCD.<name>, PARAMN its number in PARAMN.<name>.
    A PARAMCD the codelist lacks is an error, not a blank PARAM."""
    decodes = {t.term: t.decode for t in spec.adam.codelists[f"PARAMCD.{name}"].terms}
    unknown = sorted(set(dataset["PARAMCD"]) - set(decodes))
    if unknown:
        raise ValueError(f"{name}: PARAMCD {', '.join(unknown)} not in codelist PARAMCD.{name} of specs/adam")
    out = dataset.assign(PARAM=dataset["PARAMCD"].map(decodes))
    return derive_var_code(out, spec.adam, source_var="PARAM", new_var="PARAMN", codelist=f"PARAMN.{name}")


def value_level(spec: Spec, dataset: str, variable: str, paramcd: str, required: bool = True) -> ValueLevel | None:
    """The value-level metadata of `dataset`.`variable` where PARAMCD EQ `paramcd`."""
    for vlm in spec.adam.valuelevel:
        if vlm.dataset == dataset and vlm.variable == variable and any(
                c.variable == "PARAMCD" and c.comparator in ("EQ", "IN") and paramcd in c.values for c in vlm.where):
            return vlm
    if required:
        raise ValueError(f"specs/adam value-level metadata has no {dataset}.{variable} where PARAMCD EQ {paramcd}")
    return None
