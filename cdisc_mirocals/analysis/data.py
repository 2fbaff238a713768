"""Read a BDS time-to-event dataset (and ADSL) from XPT files on disk, as a reviewer would, and build
the analysis frame for one PARAMCD. Works on any ADTTE, not only this study's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cdisc_mirocals.errors import MirocalsError

LOG_TERM = re.compile(r"^log\((\w+)\)$")


class AnalysisError(MirocalsError):
    """A missing dataset, parameter or variable, or a population that selects no one."""


@dataclass(frozen=True)
class Options:
    treatment_var: str = "TRT01P"
    reference: str = "Placebo"
    population: str = "ITTFL"
    strata_var: str | None = None
    covariates: tuple[str, ...] = ()
    biomarker_var: str | None = None
    subgroup_var: str | None = None
    survival_times: tuple[float, ...] = (180, 365, 640)
    tau: float | None = None  # RMST horizon; the largest survival time when None
    ci_transform: str = "log-log"
    ties: str = "efron"
    alpha: float = 0.05


@dataclass
class AnalysisData:
    paramcd: str
    param: str
    frame: pd.DataFrame  # time, event, arm, plus strata, covariates, biomarker, subgroup variables
    arms: list[str]  # reference first
    options: Options
    notes: list[str] = field(default_factory=list)

    def has(self, var: str | None) -> bool:
        return bool(var) and var in self.frame.columns and self.frame[var].notna().any()


def read_dataset(folder: Path, name: str) -> pd.DataFrame:
    path = Path(folder) / f"{name.lower()}.xpt"
    if not path.is_file():
        raise AnalysisError(f"{path}: the {name.upper()} dataset is missing (expected {name.lower()}.xpt in {folder})")
    try:
        frame, _ = pyreadstat.read_xport(str(path))
    except UnicodeDecodeError:  # older SAS files in Windows-1252 (e.g. the CDISC pilot)
        frame, _ = pyreadstat.read_xport(str(path), encoding="windows-1252")
    except Exception as exc:  # pyreadstat raises its own ReadstatError and friends
        raise AnalysisError(f"{path}: not a readable SAS transport file ({exc})") from None
    return frame


def _needed(options: Options) -> list[str]:
    names = [options.population, options.treatment_var, options.strata_var, options.biomarker_var,
             options.subgroup_var, options.subgroup_var and f"{options.subgroup_var}N",
             *(LOG_TERM.sub(r"\1", c) for c in options.covariates)]
    return [n for n in dict.fromkeys(names) if n]


def load_param(adtte: pd.DataFrame, adsl: pd.DataFrame | None, paramcd: str, options: Options) -> AnalysisData:
    """The records of one PARAMCD in the population, with ADSL variables ADTTE does not carry."""
    for var in ("PARAMCD", "AVAL", "CNSR", "USUBJID"):
        if var not in adtte.columns:
            raise AnalysisError(f"ADTTE has no {var} variable: a BDS time-to-event dataset needs "
                                f"PARAMCD, AVAL, CNSR and USUBJID")
    records = adtte[adtte["PARAMCD"] == paramcd]
    if records.empty:
        raise AnalysisError(f"ADTTE has no records with PARAMCD {paramcd!r}; it holds "
                            f"{', '.join(sorted(adtte['PARAMCD'].unique()))}")
    missing = [v for v in _needed(options) if v not in records.columns]
    if missing and adsl is not None:
        from_adsl = [v for v in missing if v in adsl.columns]
        records = records.merge(adsl[["USUBJID", *from_adsl]], on="USUBJID", how="left")
        missing = [v for v in missing if v not in from_adsl]
    for var in (options.population, options.treatment_var):
        if var in missing:
            raise AnalysisError(f"neither ADTTE nor ADSL has the variable {var}")
    records = records[records[options.population] == "Y"]
    if records.empty:
        raise AnalysisError(f"the population flag {options.population} = 'Y' selects no one for {paramcd}")
    arms = _arm_order(records, options)
    frame = pd.DataFrame({"time": records["AVAL"].astype(float), "event": (records["CNSR"] == 0).astype(int),
                          "arm": records[options.treatment_var].astype(str)}, index=records.index)
    for var in _needed(options):
        if var in records.columns and var not in (options.population, options.treatment_var):
            frame[var] = records[var].replace("", np.nan)
    param = str(records["PARAM"].iloc[0]) if "PARAM" in records.columns else paramcd
    notes = [f"{v} is in neither ADTTE nor ADSL: analyses that need it are skipped" for v in missing
             if not v.endswith("N") or v[:-1] not in records.columns]
    return AnalysisData(paramcd, param, frame.reset_index(drop=True), arms, options, notes)


def _arm_order(records: pd.DataFrame, options: Options) -> list[str]:
    """Reference first, then by the numeric companion (TRT01PN for TRT01P) if there is one."""
    arms = records[options.treatment_var].astype(str)
    if options.reference not in set(arms):
        raise AnalysisError(f"the reference arm {options.reference!r} is not a value of {options.treatment_var}: "
                            f"{', '.join(sorted(set(arms)))}")
    numeric = f"{options.treatment_var}N"
    if numeric in records.columns:
        order = records.groupby(arms)[numeric].min().sort_values().index.tolist()
    else:
        order = sorted(set(arms))
    return [options.reference] + [a for a in order if a != options.reference]
