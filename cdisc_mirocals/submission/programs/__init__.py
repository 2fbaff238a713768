"""The submitted analysis programs: self-contained Python, written as .txt files (the FDA Technical
Conformance Guide asks for programs as text) into the m5 tree beside the ADaM datasets, with the
statistical analysis plan's parameters (specs/study.toml [analysis]) written into each when it is
generated. They read the submitted XPT files with public packages only and print one JSON document of
their numbers, keyed as results.json is (the analysis keys of specs/adam/analysis_results.csv).

REGISTRY lists them: a program is a template here (<name>.py.txt, with @STUDY@ and @CONFIG@) and one
entry naming the analysis keys it computes, the packages it imports and the settings written into it;
tests/test_submitted_programs.py then runs it against results.json and safety.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cdisc_mirocals.submission.atomic import atomic_write

PROGRAMS_DIR = Path("m5/datasets/mirocals/analysis/adam/programs")
# the distributions each program imports: the test installs exactly these in a fresh environment
SURVIVAL_PACKAGES = ("pandas", "pyreadstat", "numpy", "scipy", "lifelines", "statsmodels")
SAFETY_PACKAGES = ("pandas", "pyreadstat", "numpy", "scipy")
SECONDARY_PACKAGES = ("pandas", "pyreadstat", "numpy", "scipy", "statsmodels")
SAFETY_TABLES = ("overview", "soc_pt", "severity", "serious", "exposure")
SECONDARY_KEYS = ("LAB/shift", "LAB/grades", "VS/by_visit")  # and TREG/<PARAMCD> per parameter


@dataclass(frozen=True)
class Program:
    file: str  # its name in the programs folder; define.xml links it through a def:leaf of documents.csv
    prefixes: tuple[str, ...]  # the analysis keys it computes: '<PARAMCD>/', 'SAFETY/overview', 'LAB/shift'
    packages: tuple[str, ...]  # the public packages it imports

    @property
    def context(self) -> str:
        return f"Python 3 ({', '.join(self.packages)})"

    def computes(self, key: str) -> bool:
        return key.startswith(self.prefixes)


def _survival(a: dict) -> Program:
    return Program("survival.txt", tuple(f"{p}/" for p in a["parameters"]), SURVIVAL_PACKAGES)


def _safety(a: dict) -> Program:
    return Program("safety.txt", tuple(f"SAFETY/{t}" for t in SAFETY_TABLES), SAFETY_PACKAGES)


def _secondary(a: dict) -> Program | None:
    """The ADLB and ADVS analyses, for a study whose plan has [analysis.secondary]."""
    if "secondary" not in a:
        return None
    treg = tuple(f"TREG/{p}" for p in a["secondary"].get("treg_parameters", ()))
    return Program("secondary.txt", (*treg, *SECONDARY_KEYS), SECONDARY_PACKAGES)


def survival_config(spec) -> dict:
    from cdisc_mirocals.analysis.data import Options

    a = spec.study["analysis"]
    return {"parameters": list(a["parameters"]), "treatment_var": a["treatment_var"],
            "reference": a["reference"], "population": a["population"], "strata_var": a["strata_var"],
            "covariates": list(a["covariates"]), "biomarker_var": a["biomarker_var"],
            "subgroup_var": a["subgroup_var"], "survival_times": [float(t) for t in a["survival_times"]],
            "tau": float(spec.study.primary_window_days), "alpha": Options.alpha}


def safety_config(spec) -> dict:
    from cdisc_mirocals.analysis.data import Options
    from cdisc_mirocals.analysis.safety import SEVERITY_ORDER

    a = spec.study["analysis"]
    s = a.get("safety", {})
    return {"population": s.get("population", "SAFFL"), "treatment_var": s.get("treatment_var", "TRT01A"),
            "reference": a["reference"], "site_reaction_pattern": s.get("site_reaction_pattern", ""),
            "severity_order": list(SEVERITY_ORDER), "exposure": list(s.get("exposure", ())), "alpha": Options.alpha}


def secondary_config(spec) -> dict:
    """As the package's analyses read [analysis.secondary] (pipeline.analysis_options), defaults included."""
    from cdisc_mirocals.pipeline import analysis_options

    _, o = analysis_options(spec)
    return {"reference": o.reference, "alpha": o.alpha,
            "treg": {"parameters": list(o.treg_params), "population": o.population,
                     "treatment_var": o.treatment_var, "covariates": list(o.treg_covariates),
                     "factors": list(o.treg_factors)},
            "safety": {"population": o.safety_population, "treatment_var": o.safety_treatment_var,
                       "lab_grade": o.lab_grade, "vitals_parameters": list(o.vitals_params)}}


# Each submitted program: whether the study has it (from its [analysis] settings), and the parameters
# written into it. A new program is a template beside this file and one line here.
REGISTRY = {"survival.txt": (_survival, survival_config), "safety.txt": (_safety, safety_config),
            "secondary.txt": (_secondary, secondary_config)}


# The exposure summary of ADEX (EXPOSURE/summary): a program of its own, as it has its own dataset and
# display, rather than a part of safety.txt, whose exposure table is of ADSL variables.
EXPOSURE_PACKAGES = ("pandas", "pyreadstat", "numpy")


def _exposure(a: dict) -> Program | None:
    """For a study whose plan names overall ADEX parameters ([analysis.safety] exposure_params)."""
    if not a.get("safety", {}).get("exposure_params"):
        return None
    return Program("exposure.txt", ("EXPOSURE/summary",), EXPOSURE_PACKAGES)


def exposure_config(spec) -> dict:
    """As the package's exposure summary reads the plan (pipeline.analysis_options)."""
    from cdisc_mirocals.pipeline import analysis_options

    _, o = analysis_options(spec)
    return {"population": o.safety_population, "treatment_var": o.safety_treatment_var, "reference": o.reference,
            "exposure_params": list(o.exposure_params)}


REGISTRY["exposure.txt"] = (_exposure, exposure_config)


def programs(spec) -> tuple[Program, ...]:
    """The programs of a study whose specs give an analysis plan; none otherwise."""
    a = spec.study.data.get("analysis")
    if not a:
        return ()
    made = (describe(a) for describe, _ in REGISTRY.values())
    return tuple(p for p in made if p is not None)


def program_config(spec, name: str) -> dict:
    """The parameters a program computes with, from the study's analysis plan; alpha is the analyses'."""
    return REGISTRY[name][1](spec)


def program_text(spec, name: str) -> str:
    template = resources.files(__package__).joinpath(name.replace(".txt", ".py.txt")).read_text("utf-8")
    config = json.dumps(program_config(spec, name), indent=1, ensure_ascii=False)
    if "'''" in config:
        raise ValueError(f"the analysis parameters of {name} cannot be written into it: {config}")
    return template.replace("@STUDY@", spec.study.studyid).replace("@CONFIG@", config)


def write_programs(folder: Path, spec) -> list[Path]:
    """Each program into `folder` (the m5 programs folder)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for program in programs(spec):
        with atomic_write(folder / program.file, "w") as fh:
            fh.write(program_text(spec, program.file))
        written.append(folder / program.file)
    return written


# ---- the secondary efficacy analyses of ADQS, ADRE and ADTTE (efficacy.txt) ------------------------------
EFFICACY_PACKAGES = ("pandas", "pyreadstat", "numpy", "scipy")


def _efficacy(a: dict) -> Program | None:
    """The rate of decline and MMRM of each [analysis.longitudinal] parameter, and CAFS."""
    cfg = a.get("longitudinal")
    if not cfg or not cfg.get("parameters"):
        return None
    keys = tuple(f"{p['paramcd']}/{m}" for p in cfg["parameters"] for m in ("slope", "mmrm"))
    return Program("efficacy.txt", (*keys, *(("CAFS/wilcoxon",) if "cafs" in cfg else ())), EFFICACY_PACKAGES)


def efficacy_config(spec) -> dict:
    """As the package's analyses read [analysis.longitudinal] (pipeline.analysis_options)."""
    from cdisc_mirocals.pipeline import analysis_options

    _, o = analysis_options(spec)
    return {"reference": o.reference, "alpha": o.alpha, "population": o.population,
            "treatment_var": o.treatment_var, "longitudinal": dict(o.longitudinal)}


REGISTRY["efficacy.txt"] = (_efficacy, efficacy_config)
