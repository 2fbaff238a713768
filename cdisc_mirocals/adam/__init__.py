"""SDTM to ADaMIG 1.3 datasets: ADSL, ADTTE, ADAE, ADQS, ADRE, ADLB, ADVS, ADEX, ADCM and ADMH, assembled
from the derivation toolkit in `adam.derive`, with metadata from specs/adam."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.adam.adae import derive_adae
from cdisc_mirocals.adam.adcm import derive_adcm
from cdisc_mirocals.adam.adex import derive_adex
from cdisc_mirocals.adam.admh import derive_admh
from cdisc_mirocals.adam.adlb import derive_adlb
from cdisc_mirocals.adam.adqs import derive_adqs
from cdisc_mirocals.adam.adre import derive_adre
from cdisc_mirocals.adam.adsl import derive_adsl
from cdisc_mirocals.adam.adtte import derive_adtte
from cdisc_mirocals.adam.advs import derive_advs
from cdisc_mirocals.metadata import Shaped, ShapeLog, shape
from cdisc_mirocals.spec import Spec


def shape_adam(sdtm: dict[str, pd.DataFrame], spec: Spec, log: ShapeLog | None = None) -> dict[str, Shaped]:
    """ADaM datasets, shaped to specs/adam, from conformed SDTM datasets."""
    adsl = derive_adsl(sdtm, spec)
    frames = {"ADSL": adsl, "ADTTE": derive_adtte(adsl, sdtm, spec), "ADAE": derive_adae(adsl, sdtm, spec)}
    frames["ADLB"] = derive_adlb(adsl, sdtm, spec)
    frames["ADVS"] = derive_advs(adsl, sdtm, spec)
    frames |= {"ADEX": derive_adex(adsl, sdtm, spec), "ADCM": derive_adcm(adsl, sdtm, spec),
               "ADMH": derive_admh(adsl, sdtm, spec)}
    frames["ADQS"] = derive_adqs(adsl, sdtm, spec)
    frames["ADRE"] = derive_adre(adsl, sdtm, spec)
    return {name: shape(frame, spec.adam[name], log) for name, frame in frames.items()}


def derive_adam(sdtm: dict[str, pd.DataFrame], spec: Spec) -> dict[str, pd.DataFrame]:
    """Conformed ADaM datasets from conformed SDTM datasets."""
    return {name: s.frame for name, s in shape_adam(sdtm, spec).items()}
