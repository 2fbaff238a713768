"""The main job, stage by stage. The CLI calls these; they own progress display, not printing."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from cdisc_mirocals.adam import shape_adam
from cdisc_mirocals.metadata import ShapeLog
from cdisc_mirocals.metadata.steps import ConformanceError
from cdisc_mirocals.analysis import AnalysisReport, Options, analyze
from cdisc_mirocals.analysis.displays import write_study_displays
from cdisc_mirocals.errors import MirocalsError
from cdisc_mirocals.progress import progress
from cdisc_mirocals.raw import RawStudy, read_raw
from cdisc_mirocals.sdtm import SdtmResult, map_sdtm
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.simulated import is_simulated
from cdisc_mirocals.spec import Spec, load_spec
from cdisc_mirocals.submission.atomic import atomic_write, copy_tree
from cdisc_mirocals.submission.guides import Guides, write_guides
from cdisc_mirocals.submission.package import FORMATS, rewrite_define, write_acrf, write_datasets, write_define
from cdisc_mirocals.submission.publish import MARKER, publishing
from cdisc_mirocals.submission.programs import PROGRAMS_DIR, write_programs
from cdisc_mirocals.submission.timestamp import run_clock
from cdisc_mirocals.textsafe import csv_safe
from cdisc_mirocals.validate.outputs import OutputValidation, validate_output
from cdisc_mirocals.validate.report import FAIL_ON
from cdisc_mirocals.validate.run import validate_datasets

SDTM_DIR = Path("m5/datasets/mirocals/tabulations/sdtm")
ADAM_DIR = Path("m5/datasets/mirocals/analysis/adam/datasets")
RECONCILIATION = "reconciliation.csv"
CONVERSION_LOG = "conversion.log"
ANALYSIS_DIR = Path("analysis")
VALIDATION_DIR = Path("validation")
REJECTED = ".rejected"  # OUT.rejected: the output that failed validation, with its reports


def rejected_dir(out: Path) -> Path:
    """OUT.rejected beside OUT, named as the user named OUT (relative stays relative)."""
    out = Path(out)
    if out.name in ("", "..") or out.parts[-1:] == (".",):
        out = Path(os.path.abspath(out))
    return out.with_name(f"{out.name}{REJECTED}")


class ValidationFailed(MirocalsError):
    """Findings at or above --fail-on: OUT was left as it was, and the output that failed, with its
    validation reports, was published to OUT.rejected instead."""

    def __init__(self, validation: OutputValidation, out: Path, rejected: Path, result: ConvertResult | None = None):
        # result: what the run wrote, now under OUT.rejected, for the CLI to list as it lists a published run
        self.validation, self.out, self.rejected, self.result = validation, out, rejected, result
        reports = ", ".join(str(rejected / f) for f in validation.files if f.suffix == ".html")
        super().__init__("\n".join([
            f"validation found findings at or above --fail-on {validation.fail_on}:",
            *(f"  {line}" for line in validation.worst()),
            *(f"  {line}" for line in validation.summary()),
            f"{out} is left as it was; the output that failed and its reports are in {rejected}/ ({reports})"]))


def simulate(out: Path, n_subjects: int | None = None, seed: int | None = None,
             spec: Spec | None = None) -> list[Path]:
    spec = spec or load_spec()
    forms = simulate_study(n_subjects, seed, spec, progress=progress)
    return write_forms(forms, out, spec)


@dataclass
class ConvertResult:
    out: Path
    raw_dir: Path
    simulated: bool
    raw: RawStudy | None  # None, like the frames of sdtm and adam, when convert ran with keep=False
    sdtm: SdtmResult
    adam: dict[str, pd.DataFrame]
    analysis: AnalysisReport | None = None
    log: list[str] = field(default_factory=list)
    validation: OutputValidation | None = None
    written: dict[str, tuple[str, ...]] = field(default_factory=dict)  # standard: the datasets written
    simulated_data: bool = False  # simulated here, or read from a folder `simulate` marked (simulated.py)
    guides: Guides | None = None  # the reviewer's guides, with the findings they could not explain

    @property
    def sdtm_dir(self) -> Path:
        return self.out / SDTM_DIR

    @property
    def adam_dir(self) -> Path:
        return self.out / ADAM_DIR

    @property
    def reconciliation_path(self) -> Path:
        return self.out / RECONCILIATION

    @property
    def log_path(self) -> Path:
        return self.out / CONVERSION_LOG

    @property
    def validation_dir(self) -> Path:
        return self.out / VALIDATION_DIR


def _raw_source(raw_dir: Path | None, out: Path, build: Path, spec: Spec) -> tuple[Path, bool]:
    """The raw folder to read, inside the build when it belongs to the output (simulated, or given
    from inside OUT), so that publishing the build keeps it."""
    if raw_dir is None:
        simulate(build / "raw", spec=spec)
        return build / "raw", True
    raw_dir = Path(raw_dir)
    if raw_dir.resolve().is_relative_to(out.resolve()):
        copy = build / raw_dir.resolve().relative_to(out.resolve())
        copy_tree(raw_dir, copy)
        return copy, False
    return raw_dir, False


def _give_back_memory() -> None:
    """Return what the stages before have freed to the operating system. glibc keeps freed blocks of its
    heap for reuse, but the next stage's arrays are mapped afresh rather than carved from it: without
    this, the validator's reading of the files written stacks on the mapping's high-water mark (at
    22,000 subjects, 4.3 GB held before it starts, 1 GB of it live). Nothing happens where the C library
    is not glibc."""
    gc.collect()
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


def _write_text(path: Path, lines: list[str]) -> None:
    with atomic_write(path, "w") as fh:
        fh.writelines(f"{line}\n" for line in lines)


def _publish_rejected(build: Path, out: Path) -> Path:
    """The build, which failed validation, published whole to OUT.rejected (OUT itself stays as it was)."""
    rejected = rejected_dir(out)
    with publishing(rejected) as target:
        for entry in sorted(build.iterdir()):
            entry.rename(target / entry.name)  # the same parent folder: renames, not copies
    return rejected


def _remove_rejected(out: Path) -> None:
    """A passing run makes the last failed run's OUT.rejected stale: it goes (only when this package wrote it)."""
    rejected = rejected_dir(out)
    if (rejected / MARKER).is_file():
        shutil.rmtree(rejected)


def convert(raw_dir: Path | None, out: Path, spec: Spec | None = None, *, formats: tuple[str, ...] = FORMATS,
            transliterate: bool = False, analysis: bool = True, fail_on: str = "error",
            keep: bool = True, profile: str = "fda") -> ConvertResult:
    """Raw CRFs to validated SDTM and ADaM submission files and (with `analysis`) their analyses in
    OUT/analysis; with no raw folder, the default study is simulated into OUT/raw. The datasets written,
    with their define.xml, are then validated as `cdisc-mirocals validate` does, and the reports go to
    OUT/validation. OUT is published whole at the end, or left as it was: when a finding reaches
    `fail_on` (reject, error, warning; never: publish whatever is found), nothing is analysed, OUT stays
    as it was, the output that failed goes to OUT.rejected, and ValidationFailed is raised. `profile` is the
    validator's agency profile (fda, pmda, cdisc).

    With keep=False the raw forms are let go once mapped, and the SDTM and ADaM frames once written,
    before the validator reads the files back: a large study then never holds two copies of itself.
    The result keeps the reconciliation, the notes, the log and the names of the datasets written."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    spec = spec or load_spec()
    out = Path(out)
    with publishing(out) as build, run_clock():
        source, simulated = _raw_source(raw_dir, out, build, spec)
        raw = read_raw(source, spec, progress=progress, transliterate=transliterate)
        simulated_data = simulated or is_simulated(source)  # after read_raw: an ODM file has been checked
        log = ShapeLog()
        sdtm = map_sdtm(raw, spec, progress=progress, log=log)
        changes = [f"{change.kind}: {change}" for change in raw.changes]
        if not keep:
            raw = None
            _give_back_memory()
        adam = shape_adam(sdtm.datasets, spec, log)
        frames = {name: s.frame for name, s in adam.items()}
        problems = validate_datasets(sdtm.datasets, spec.sdtm) + validate_datasets(frames, spec.adam)
        if problems:
            raise ConformanceError(problems)
        written = {}
        for folder, standard, shaped in ((SDTM_DIR, "SDTM", sdtm.shaped), (ADAM_DIR, "ADaM", adam)):
            files = write_datasets(shaped, build / folder, spec, standard, formats, log)
            pages = write_acrf(spec, build / folder, simulated=simulated_data, log=log) if standard == "SDTM" else None
            write_define(files, build / folder, spec, standard, formats, simulated=simulated_data, crf_pages=pages)
            if standard == "ADaM":
                write_programs(build / PROGRAMS_DIR, spec)  # the submitted analysis programs
            written[standard] = tuple(files)
        del shaped, files
        if not keep:
            sdtm, adam, frames = replace(sdtm, shaped={}), {}, {}
            _give_back_memory()
        checked = validate_output(build, {"sdtm": SDTM_DIR, "adam": ADAM_DIR}, spec, fail_on, VALIDATION_DIR,
                                  profile=profile)
        # the guides explain what validation found, so they follow it; define.xml already links them
        guides = write_guides({"SDTM": build / SDTM_DIR, "ADaM": build / ADAM_DIR},
                              {"SDTM": checked.reports["sdtm"], "ADaM": checked.reports["adam"]}, spec,
                              simulated=simulated_data)
        with atomic_write(build / RECONCILIATION, "w") as fh:
            csv_safe(sdtm.reconciliation).to_csv(fh, index=False, lineterminator="\n")  # SUBJID is free text
        lines = changes + log.entries
        _write_text(build / CONVERSION_LOG, lines)
        if checked.blocked:
            rejected = _publish_rejected(build, out)
            where = rejected / source.relative_to(build) if source.is_relative_to(build) else source
            raise ValidationFailed(checked, out, rejected, ConvertResult(
                rejected, where, simulated, raw, sdtm, frames, None, lines, checked, written, simulated_data,
                guides))
        _give_back_memory()  # the SDTM and ADaM the validator read back
        report = run_analysis(build / ADAM_DIR, build / ANALYSIS_DIR, spec) if analysis else None
        if report is not None:
            pages = write_study_displays(report, spec, build / ADAM_DIR)
            if pages is not None:  # define.xml again, now that the pages of each display are known
                rewrite_define(build / ADAM_DIR, spec, "ADaM", written["ADaM"], formats, simulated=simulated_data,
                               display_pages=pages)
        final_raw = out / source.relative_to(build) if source.is_relative_to(build) else source
    _remove_rejected(out)
    return ConvertResult(out, final_raw, simulated, raw, sdtm, frames, report, lines, checked, written,
                         simulated_data, guides)


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
                    baseline_standard=tuple(a.get("baseline_standard", ())),
                    baseline_population=a.get("baseline_population", "ITTFL"),
                    baseline_treatment_var=a.get("baseline_treatment_var", "TRT01P"),
                    safety_population=s.get("population", "SAFFL"), safety_treatment_var=s.get("treatment_var", "TRT01A"),
                    site_reaction_pattern=s.get("site_reaction_pattern", Options.site_reaction_pattern),
                    dot_plot_threshold=float(s.get("dot_plot_threshold", Options.dot_plot_threshold)),
                    exposure_vars=tuple(s.get("exposure", ())), exposure_params=tuple(s.get("exposure_params", ())),
                    longitudinal=a.get("longitudinal", {}), **_secondary_options(a.get("secondary", {})))
    given = {k: v for k, v in overrides.items() if v is not None}
    defaults.update(given)
    if "population" in given and "baseline_population" not in given:
        defaults["baseline_population"] = given["population"]  # Table 1 and disposition: the population asked for
    explicit = set(given) | ({"params"} if asked else set())
    if "tau" not in given and given.get("survival_times"):
        defaults["tau"] = None  # the largest of the survival times asked for
    return list(params), Options(**defaults, explicit=frozenset(explicit))


def _secondary_options(b: dict) -> dict:
    """The options of the ADLB and ADVS analyses, from [analysis.secondary]."""
    names = {"treg_parameters": "treg_params", "treg_covariates": "treg_covariates", "treg_factors": "treg_factors",
             "vitals_parameters": "vitals_params"}
    out = {option: tuple(b[key]) for key, option in names.items() if key in b}
    return out | ({"lab_grade": int(b["lab_grade"])} if "lab_grade" in b else {})


def arm_oids(spec: Spec) -> dict[str, tuple[str, str]]:
    """{analysis key: (ARM ResultDisplay OID, AnalysisResult OID)} from specs/adam/analysis_results.csv,
    so that results.json and report.html name the define.xml analysis each number belongs to."""
    return {r.key: (r.display, r.id) for r in spec.adam.analysis_results}


def run_analysis(adam_dir: Path, out: Path, spec: Spec | None = None, **overrides) -> AnalysisReport:
    """The analyses read from the ADaM (and SDTM) XPT files on disk."""
    spec = spec or load_spec()
    overrides.setdefault("arm", arm_oids(spec))
    at_risk_times = overrides.pop("at_risk_times", None)
    sdtm_dir = overrides.pop("sdtm_dir", None)
    params, options = analysis_options(spec, **overrides)
    return analyze(adam_dir, out, params, options, at_risk_times, sdtm_dir)
