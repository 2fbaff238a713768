"""The main job, stage by stage. The CLI calls these; they own progress display, not printing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cdisc_mirocals.adam import derive_adam
from cdisc_mirocals.analysis import AnalysisReport, Options, analyze
from cdisc_mirocals.progress import progress
from cdisc_mirocals.raw import RawStudy, read_raw
from cdisc_mirocals.sdtm import SdtmResult, map_sdtm
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.spec import Spec, Standard, load_spec
from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.submission.xpt import write_xpt
from cdisc_mirocals.validate.run import ConformanceError, validate_datasets

SDTM_DIR = Path("m5/datasets/mirocals/tabulations/sdtm")
ADAM_DIR = Path("m5/datasets/mirocals/analysis/adam/datasets")


def simulate(out: Path, n_subjects: int | None = None, seed: int | None = None,
             spec: Spec | None = None) -> list[Path]:
    spec = spec or load_spec()
    forms = simulate_study(n_subjects, seed, spec, progress=progress)
    return write_forms(forms, out, spec)


@dataclass
class ConvertResult:
    raw_dir: Path
    simulated: bool
    raw: RawStudy
    sdtm: SdtmResult
    sdtm_dir: Path
    reconciliation_path: Path
    adam: dict[str, pd.DataFrame]
    adam_dir: Path
    analysis: AnalysisReport | None = None


def write_datasets(datasets: dict[str, pd.DataFrame], folder: Path, standard: Standard) -> Path:
    for name, frame in progress(list(datasets.items()), f"Writing {standard.name} XPT"):
        write_xpt(frame, folder / f"{name.lower()}.xpt", standard[name])
    return folder


def write_sdtm(sdtm: SdtmResult, out: Path, spec: Spec) -> tuple[Path, Path]:
    folder = write_datasets(sdtm.datasets, out / SDTM_DIR, spec.sdtm)
    recon = out / "reconciliation.csv"
    with atomic_write(recon, "w") as fh:
        sdtm.reconciliation.to_csv(fh, index=False, lineterminator="\n")
    return folder, recon


def convert(raw_dir: Path | None, out: Path, spec: Spec | None = None, analysis: bool = True) -> ConvertResult:
    """Raw CRFs to validated SDTM and ADaM XPT files, then (with `analysis`) the analyses in
    OUT/analysis; with no raw folder, simulate the default study into OUT/raw. Nothing is written
    unless both standards validate."""
    spec = spec or load_spec()
    simulated = raw_dir is None
    if simulated:
        raw_dir = out / "raw"
        simulate(raw_dir, spec=spec)
    raw = read_raw(raw_dir, spec, progress=progress)
    sdtm = map_sdtm(raw, spec, progress=progress)
    adam = derive_adam(sdtm.datasets, spec)
    problems = validate_datasets(sdtm.datasets, spec.sdtm) + validate_datasets(adam, spec.adam)
    if problems:
        raise ConformanceError(problems)
    folder, recon = write_sdtm(sdtm, out, spec)
    adam_dir = write_datasets(adam, out / ADAM_DIR, spec.adam)
    report = run_analysis(adam_dir, out / "analysis", spec) if analysis else None
    return ConvertResult(raw_dir, simulated, raw, sdtm, folder, recon, adam, adam_dir, report)


def analysis_options(spec: Spec, **overrides) -> tuple[list[str], Options]:
    """The study's analysis defaults (specs/study.toml [analysis]), with command-line overrides; the
    options given explicitly are recorded, so that a variable or arm they name must exist."""
    a = spec.study["analysis"]
    s = a.get("safety", {})
    asked = overrides.pop("params", None)
    params = asked or a["parameters"]
    defaults = dict(treatment_var=a["treatment_var"], reference=a["reference"], population=a["population"],
                    strata_var=a["strata_var"], covariates=tuple(a["covariates"]), biomarker_var=a["biomarker_var"],
                    subgroup_var=a["subgroup_var"], survival_times=tuple(a["survival_times"]),
                    tau=float(spec.study.primary_window_days), baseline_vars=tuple(a.get("baseline", ())),
                    baseline_population=a.get("baseline_population", "ITTFL"),
                    baseline_treatment_var=a.get("baseline_treatment_var", "TRT01P"),
                    safety_population=s.get("population", "SAFFL"), safety_treatment_var=s.get("treatment_var", "TRT01A"),
                    site_reaction_pattern=s.get("site_reaction_pattern", Options.site_reaction_pattern),
                    dot_plot_threshold=float(s.get("dot_plot_threshold", Options.dot_plot_threshold)),
                    exposure_vars=tuple(s.get("exposure", ())))
    given = {k: v for k, v in overrides.items() if v is not None}
    defaults.update(given)
    explicit = set(given) | ({"params"} if asked else set())
    if "tau" not in given and given.get("survival_times"):
        defaults["tau"] = None  # the largest of the survival times asked for
    return list(params), Options(**defaults, explicit=frozenset(explicit))


def run_analysis(adam_dir: Path, out: Path, spec: Spec | None = None, **overrides) -> AnalysisReport:
    """The analyses read from the ADaM (and SDTM) XPT files on disk."""
    spec = spec or load_spec()
    at_risk_times = overrides.pop("at_risk_times", None)
    sdtm_dir = overrides.pop("sdtm_dir", None)
    params, options = analysis_options(spec, **overrides)
    return analyze(adam_dir, out, params, options, at_risk_times, sdtm_dir)
