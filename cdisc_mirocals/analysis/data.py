"""Read ADaM (and SDTM) datasets from XPT files on disk, as a reviewer would, check the options against
them, and build the analysis frame of one PARAMCD. Works on any BDS time-to-event dataset.

Two kinds of trouble are told apart. An option the user gave that names nothing (a variable, an arm,
a parameter) is an AnalysisError: a clear message, exit 1. A default that does not fit the data, or
data that cannot support an analysis (one arm, no events, an empty population), is a skip with its
reason, so that `convert` still finishes on any study.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import pyreadstat

from cdisc_mirocals.errors import MirocalsError, UsageError

LOG_TERM = re.compile(r"^log\((\w+)\)$")
TIES = ("efron", "breslow")
CI_TRANSFORMS = ("log-log", "log")
PH_TRANSFORMS = ("km", "rank", "identity", "log")


class AnalysisError(MirocalsError):
    """A missing dataset, parameter or variable, or an option with an impossible value."""


class OptionError(AnalysisError, UsageError):
    """An analysis option the data cannot honour: a value out of range, or a variable, parameter or arm that
    is not in the data."""


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
    ph_transform: str = "km"
    # the safety summary (safety.py), Table 1 (baseline.py) and disposition (disposition.py)
    safety_population: str = "SAFFL"
    safety_treatment_var: str = "TRT01A"
    site_reaction_pattern: str = r"^(injection|application|infusion) site"
    dot_plot_threshold: float = 5.0  # percent of subjects in any arm
    baseline_vars: tuple[str, ...] = ()
    # ADaMIG's ADSL demographics, for Table 1 when another study's ADSL lacks this study's baseline_vars
    baseline_standard: tuple[str, ...] = ()
    decodes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # ADSL variable -> code -> decode
    baseline_population: str = "ITTFL"
    baseline_treatment_var: str = "TRT01P"
    exposure_vars: tuple[str, ...] = ()
    exposure_params: tuple[str, ...] = ()  # the overall ADEX parameters of the exposure summary (exposure.py)
    # the secondary efficacy analyses (secondary.py): specs/study.toml [analysis.longitudinal]
    longitudinal: Mapping = field(default_factory=dict)
    # Analysis Results Metadata: analysis key (e.g. 'OS640/cox_unadjusted') -> (display OID, result OID)
    arm: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # the secondary analyses of ADLB and ADVS (treg.py, labgrade.py, vitals.py)
    treg_params: tuple[str, ...] = ()
    treg_covariates: tuple[str, ...] = ("BASE",)
    treg_factors: tuple[str, ...] = ()
    lab_grade: int = 3
    vitals_params: tuple[str, ...] = ()
    # the options the user gave explicitly: a variable or arm they name must exist
    explicit: frozenset[str] = frozenset()

    def __post_init__(self):
        if self.tau is not None and not self.tau > 0:
            raise OptionError(f"--tau must be a positive number of days (the RMST horizon), not {self.tau:g}")
        if any(not t > 0 for t in self.survival_times):
            raise OptionError("--survival-times must be positive numbers of days, not "
                                f"{', '.join(f'{t:g}' for t in self.survival_times)}")
        if not 0 < self.alpha < 1:
            raise OptionError(f"alpha must be between 0 and 1, not {self.alpha}")
        for name, value, allowed in (("ties", self.ties, TIES), ("ci_transform", self.ci_transform, CI_TRANSFORMS),
                                     ("ph_transform", self.ph_transform, PH_TRANSFORMS)):
            if value not in allowed:
                raise OptionError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")

    def record(self) -> dict:
        """The options as results.json records them."""
        return {k: (sorted(v) if isinstance(v, frozenset) else dict(v) if isinstance(v, Mapping) else v)
                for k, v in self.__dict__.items() if k != "decodes"}  # define.xml's, not an option


@dataclass
class Dataset:
    name: str
    frame: pd.DataFrame
    labels: dict[str, str]
    path: Path
    sha256: str
    standard: str = "ADaM"


def read_dataset(folder: Path, name: str, required: bool = True, standard: str = "ADaM") -> Dataset | None:
    """A dataset from its XPT file or, where there is none, its Dataset-JSON file (convert --format json)."""
    path = Path(folder) / f"{name.lower()}.xpt"
    json_path = path.with_suffix(".json")
    if not path.is_file() and json_path.is_file():
        return _read_json(json_path, name, standard)
    if not path.is_file():
        if not required:
            return None
        raise AnalysisError(f"{path}: the {name.upper()} dataset is missing (expected {name.lower()}.xpt in {folder})")
    try:
        frame, meta = pyreadstat.read_xport(str(path))
    except UnicodeDecodeError:  # older SAS files in Windows-1252 (e.g. the CDISC pilot)
        frame, meta = pyreadstat.read_xport(str(path), encoding="windows-1252")
    except Exception as exc:  # pyreadstat raises its own ReadstatError and friends
        raise AnalysisError(f"{path}: not a readable SAS transport file ({exc})") from None
    labels = {c: (lab or c) for c, lab in zip(meta.column_names, meta.column_labels)}
    return Dataset(name.upper(), frame, labels, path, hashlib.sha256(path.read_bytes()).hexdigest(), standard)


def _read_json(path: Path, name: str, standard: str) -> Dataset:
    from cdisc_mirocals.submission.datasetjson import read_dataset_json
    try:
        frame, doc = read_dataset_json(path)
    except (ValueError, KeyError, TypeError) as exc:
        raise AnalysisError(f"{path}: not a readable Dataset-JSON file ({exc})") from None
    frame = _as_dates(frame, doc)
    labels = {c["name"]: c.get("label") or c["name"] for c in doc["columns"]}
    return Dataset(name.upper(), frame, labels, path, hashlib.sha256(path.read_bytes()).hexdigest(), standard)


def _as_dates(frame: pd.DataFrame, doc: dict) -> pd.DataFrame:
    """Dates as pyreadstat gives them from an XPT file with a DATE format, so both sources read alike."""
    out = frame.copy()
    for col in doc["columns"]:
        if col["dataType"] == "date":
            out[col["name"]] = (pd.Timestamp("1960-01-01") + pd.to_timedelta(out[col["name"]], unit="D")).dt.date
    return out


def sdtm_folder(adam_dir: Path) -> Path | None:
    """The SDTM folder beside an ADaM folder: eCTD m5 layout (analysis/adam/datasets ->
    tabulations/sdtm), or a sibling 'sdtm' folder (as the CDISC pilot ships)."""
    adam_dir = Path(adam_dir).resolve()
    for candidate in (adam_dir.parents[2] / "tabulations" / "sdtm" if len(adam_dir.parents) > 2 else None,
                      adam_dir.parent / "sdtm"):
        if candidate is not None and ((candidate / "dm.xpt").is_file() or (candidate / "dm.json").is_file()):
            return candidate
    return None


@dataclass
class AnalysisData:
    paramcd: str
    param: str
    frame: pd.DataFrame  # time, event, arm, plus strata, covariates, biomarker, subgroup variables
    arms: list[str]  # reference first (when present), then by the numeric companion
    options: Options
    labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cannot_compare: str | None = None  # why no treatment comparison is possible, if so

    def has(self, var: str | None) -> bool:
        return bool(var) and var in self.frame.columns and self.frame[var].notna().any()

    def label(self, var: str) -> str:
        return self.labels.get(var, var)

    @property
    def population_label(self) -> str:
        return population_label(self.labels, self.options.population)


def population_label(labels: dict[str, str], flag: str) -> str:
    """The reader's name of a population flag, from its label: 'Intent-To-Treat Population Flag' ->
    'Intent-to-treat population'. A flag without a label stays its name (no made-up words from it)."""
    label = labels.get(flag)
    text = re.sub(r"\s*Flag$", "", label).strip() if label and label != flag else ""
    return text[:1].upper() + text[1:].lower() if text else flag


def _needed(options: Options) -> list[str]:
    names = [options.population, options.treatment_var, options.strata_var, options.biomarker_var,
             options.subgroup_var, options.subgroup_var and f"{options.subgroup_var}N",
             *(LOG_TERM.sub(r"\1", c) for c in options.covariates)]
    return [n for n in dict.fromkeys(names) if n]


def _explicit_vars(options: Options) -> set[str]:
    given = {getattr(options, o) for o in ("strata_var", "biomarker_var", "subgroup_var") if o in options.explicit}
    if "covariates" in options.explicit:
        given |= {LOG_TERM.sub(r"\1", c) for c in options.covariates}
    return {g for g in given if g}


def load_param(adtte: Dataset, adsl: Dataset | None, paramcd: str, options: Options) -> AnalysisData:
    """The records of one PARAMCD in the population, with ADSL variables ADTTE does not carry."""
    records = adtte.frame
    for var in ("PARAMCD", "AVAL", "CNSR", "USUBJID"):
        if var not in records.columns:
            raise AnalysisError(f"{adtte.path}: ADTTE has no {var} variable: a BDS time-to-event dataset needs "
                                f"PARAMCD, AVAL, CNSR and USUBJID")
    records = records[records["PARAMCD"] == paramcd]
    if records.empty:
        holds = ", ".join(sorted(adtte.frame["PARAMCD"].unique())) or "no records"
        if "params" in options.explicit:
            raise OptionError(f"{adtte.path}: ADTTE has no records with PARAMCD {paramcd!r}; it holds {holds}")
        empty = pd.DataFrame({"time": pd.Series(dtype=float), "event": pd.Series(dtype=int), "arm": pd.Series(dtype=str)})
        return AnalysisData(paramcd, paramcd, empty, [], options, dict(adtte.labels), [],
                            f"ADTTE has no records with PARAMCD {paramcd} (it holds {holds})")
    labels = {**(adsl.labels if adsl else {}), **adtte.labels}
    missing = [v for v in _needed(options) if v not in records.columns]
    if missing and adsl is not None:
        from_adsl = [v for v in missing if v in adsl.frame.columns]
        records = records.merge(adsl.frame[["USUBJID", *from_adsl]].drop_duplicates("USUBJID"), on="USUBJID",
                                how="left")
        missing = [v for v in missing if v not in from_adsl]
    for var in [options.population, options.treatment_var, *_explicit_vars(options)]:
        if var in missing:
            raise OptionError(f"the variable {var} is in neither ADTTE ({adtte.path.name}) nor ADSL"
                                f"{'' if adsl else ' (no adsl.xpt beside it)'}")
    param = str(records["PARAM"].iloc[0]) if "PARAM" in records.columns else paramcd
    records = records[records[options.population] == "Y"]
    notes: list[str] = []  # the analyses that need a variable the data lack say so (survival.analyse)
    bad = records[records["AVAL"].isna() | ~records["CNSR"].isin([0, 1]) | (records["AVAL"] < 0)]
    if not bad.empty:
        row = bad.index[0]
        raise AnalysisError(f"{adtte.path}: record {row + 1} (USUBJID {bad.loc[row, 'USUBJID']}, PARAMCD {paramcd}): "
                            f"AVAL must be a number >= 0 and CNSR 0 or 1, not AVAL={bad.loc[row, 'AVAL']}, "
                            f"CNSR={bad.loc[row, 'CNSR']}")
    arms, cannot = arm_order(records, options.treatment_var, options)
    frame = pd.DataFrame({"time": records["AVAL"].astype(float), "event": (records["CNSR"] == 0).astype(int),
                          "arm": records[options.treatment_var].astype(str)}, index=records.index)
    for var in _needed(options):
        if var in records.columns and var not in (options.population, options.treatment_var):
            frame[var] = records[var].replace("", np.nan)
    if records.empty:
        cannot = f"no subject has {options.population} = 'Y' in {paramcd}"
    elif cannot is None and frame["event"].sum() == 0:
        cannot = f"no events in {paramcd}"
    return AnalysisData(paramcd, param, frame.reset_index(drop=True), arms, options, labels, notes, cannot)


def arm_order(records: pd.DataFrame, treatment_var: str, options: Options) -> tuple[list[str], str | None]:
    """Reference first, then by the numeric companion (TRT01PN for TRT01P) if there is one; and why
    arms cannot be compared, if they cannot."""
    arms = records[treatment_var].astype(str)
    present = set(arms) - {""}
    numeric = f"{treatment_var}N"
    if numeric in records.columns and not records.empty:
        order = records.groupby(arms)[numeric].min().sort_values().index.tolist()
    else:
        order = sorted(present)
    order = [a for a in order if a in present]
    if options.reference not in present:
        if "reference" in options.explicit:
            raise OptionError(f"the reference arm {options.reference!r} is not a value of {treatment_var}: "
                                f"{', '.join(sorted(present)) or 'no values'}")
        return order, f"the reference arm {options.reference!r} has no subjects in the population"
    rest = [a for a in order if a != options.reference]
    cannot = None if rest else f"only one arm ({options.reference}) in the population"
    return [options.reference] + rest, cannot


def define_decodes(folder: Path, dataset: str = "ADSL") -> dict[str, dict[str, str]]:
    """{variable: {code: decode}} of a dataset's coded variables, from the define.xml beside the data; empty
    when there is none, it cannot be read, or its codelists give no decodes (EnumeratedItem)."""
    from cdisc_mirocals.validate.define_reader import read_define  # the safe reader of define.xml

    path = Path(folder) / "define.xml"
    if not path.is_file():
        return {}
    try:
        define = read_define(path)
    except MirocalsError:
        return {}  # the analysis reads the datasets, not define.xml: the codes are shown as they are
    meta = define.metadata
    ds = meta.datasets.get(dataset)
    if ds is None:
        return {}
    out = {}
    for var in ds.variables:
        codelist = meta.codelists.get(var.codelist)
        terms = {t.term: t.decode for t in codelist.terms if t.decode} if codelist else {}
        if terms:
            out[var.name] = terms
    return out

