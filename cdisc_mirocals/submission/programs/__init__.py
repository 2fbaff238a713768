"""The submitted analysis programs: self-contained Python, written as .txt files (the FDA Technical
Conformance Guide asks for programs as text) into the m5 tree beside the ADaM datasets, with the
statistical analysis plan's parameters (specs/study.toml [analysis]) written into each when it is
generated. They read the submitted XPT files with public packages only and print one JSON document of
their numbers, keyed as results.json is (the analysis keys of specs/adam/analysis_results.csv)."""

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
SAFETY_TABLES = ("overview", "soc_pt", "severity", "serious", "exposure")


@dataclass(frozen=True)
class Program:
    file: str  # its name in the programs folder; define.xml links it through a def:leaf of documents.csv
    prefixes: tuple[str, ...]  # the analysis keys it computes: '<PARAMCD>/' or 'SAFETY/overview'
    packages: tuple[str, ...]  # the public packages it imports

    @property
    def context(self) -> str:
        return f"Python 3 ({', '.join(self.packages)})"

    def computes(self, key: str) -> bool:
        return key.startswith(self.prefixes)


def programs(spec) -> tuple[Program, ...]:
    """The programs of a study whose specs give an analysis plan; none otherwise."""
    a = spec.study.data.get("analysis")
    if not a:
        return ()
    return (Program("survival.txt", tuple(f"{p}/" for p in a["parameters"]), SURVIVAL_PACKAGES),
            Program("safety.txt", tuple(f"SAFETY/{t}" for t in SAFETY_TABLES), SAFETY_PACKAGES))


def program_config(spec, name: str) -> dict:
    """The parameters a program computes with, from the study's analysis plan; alpha is the analyses'."""
    from cdisc_mirocals.analysis.data import Options
    from cdisc_mirocals.analysis.safety import SEVERITY_ORDER

    a = spec.study["analysis"]
    if name == "survival.txt":
        return {"parameters": list(a["parameters"]), "treatment_var": a["treatment_var"],
                "reference": a["reference"], "population": a["population"], "strata_var": a["strata_var"],
                "covariates": list(a["covariates"]), "biomarker_var": a["biomarker_var"],
                "subgroup_var": a["subgroup_var"], "survival_times": [float(t) for t in a["survival_times"]],
                "tau": float(spec.study.primary_window_days), "alpha": Options.alpha}
    s = a.get("safety", {})
    return {"population": s.get("population", "SAFFL"), "treatment_var": s.get("treatment_var", "TRT01A"),
            "reference": a["reference"], "site_reaction_pattern": s.get("site_reaction_pattern", ""),
            "severity_order": list(SEVERITY_ORDER), "exposure": list(s.get("exposure", ())), "alpha": Options.alpha}


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
