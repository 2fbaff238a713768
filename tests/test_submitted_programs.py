"""The submitted analysis programs (m5 .../analysis/adam/programs/*.txt): run in a fresh virtual
environment that has only the public packages they name, at the versions installed here, and without
cdisc_mirocals, each reproduces every number it prints from results.json / safety.json to a relative
difference of 1e-8, and prints every row of every result it computes.

Generic over the registry of programs (cdisc_mirocals.submission.programs.REGISTRY): a new program is
tested here by being registered."""

from __future__ import annotations

import json
import math
import subprocess
import venv
from importlib.metadata import version
from pathlib import Path

import pytest

from cdisc_mirocals.pipeline import analysis_options
from cdisc_mirocals.analysis.safety import SEVERITY_ORDER
from cdisc_mirocals.submission.programs import PROGRAMS_DIR, REGISTRY, SAFETY_TABLES, programs
from faults.once import once

# what identifies a summary row within its result (the columns of text and time that the analyses write)
ID_FIELDS = ("key", "name", "group", "term", "time", "measure", "soc", "pt", "severity", "category", "baseline",
             "post")
NUMBERS = ("estimate", "ci_lower", "ci_upper", "se", "statistic", "df", "p", "n", "events", "denominator", "pct",
           "mean", "sd", "median", "q1", "q3", "min", "max")


@pytest.fixture(scope="session")
def public_python(tmp_path_factory, spec):
    """The python of a fresh virtual environment with only the programs' packages, built once a session."""
    packages = sorted({p for program in programs(spec) for p in program.packages})
    pins = [f"{p}=={version(p)}" for p in packages]

    def build(folder: Path) -> dict:
        env = folder / "venv"
        try:
            venv.EnvBuilder(with_pip=True).create(env)
        except Exception as exc:  # no ensurepip on this interpreter, a read-only disk, ...
            return {"skip": f"cannot create a virtual environment: {exc!r}"}
        python = env / "bin" / "python"
        run = subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], capture_output=True, text=True,
                             timeout=1200)
        if run.returncode:
            return {"skip": f"pip cannot install {' '.join(pins)} into a fresh environment: {run.stderr[-800:]}"}
        return {"python": str(python)}
    _, made = once(tmp_path_factory, "public_python", build)
    if "skip" in made:
        pytest.skip(made["skip"])
    return made["python"]


@pytest.fixture(scope="session")
def program_dir(converted):
    return converted.out / PROGRAMS_DIR


def _run(python: str, program: Path, *args: str) -> dict:
    # -I: isolated, so neither the working folder nor PYTHONPATH can lend it a module
    done = subprocess.run([python, "-I", str(program), *args], capture_output=True, text=True, timeout=600,
                          cwd=program.anchor)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _identity(row: dict) -> tuple:
    return tuple(row.get(f) for f in ID_FIELDS)


def _reference(analysis: Path) -> dict[tuple, dict]:
    """Every summary row of every result the analyses wrote (results.json: survival and secondary;
    safety.json), by identity."""
    rows = {}
    for path in (analysis / "results.json", analysis / "safety.json"):
        for section in json.loads(path.read_text()).values():
            results = section if isinstance(section, list) else ()
            for result in (r for r in results if isinstance(r, dict) and "summary" in r):
                for row in result["summary"]:
                    ident = _identity({**row, "key": result["key"]})
                    assert ident not in rows, f"{path.name}: two rows {ident}"
                    rows[ident] = row
    return rows


def _differences(printed: list[dict], reference: dict[tuple, dict]) -> tuple[int, list[str]]:
    compared, bad = 0, []
    for row in printed:
        ident = _identity(row)
        if ident not in reference:
            bad.append(f"{ident}: printed, but not in the results")
            continue
        for field in NUMBERS:
            if field not in row:
                continue
            ours, theirs = row[field], reference[ident][field]
            compared += 1
            if ours is None or theirs is None:
                if ours is not theirs:
                    bad.append(f"{ident} {field}: {ours} printed, {theirs} in the results")
            elif not math.isclose(ours, theirs, rel_tol=1e-8, abs_tol=0.0):
                bad.append(f"{ident} {field}: {ours!r} printed, {theirs!r} in the results")
    return compared, bad


def test_the_fresh_environment_has_no_cdisc_mirocals(public_python):
    done = subprocess.run([public_python, "-I", "-c", "import cdisc_mirocals"], capture_output=True, text=True)
    assert done.returncode != 0 and "No module named 'cdisc_mirocals'" in done.stderr


def test_the_programs_are_text_files_that_import_only_public_packages(program_dir, spec):
    files = sorted(p.name for p in program_dir.iterdir())
    assert files == sorted(p.file for p in programs(spec)) and all(f.endswith(".txt") for f in files)
    for program in programs(spec):
        text = (program_dir / program.file).read_text("utf-8")
        imports = {line.split()[1].split(".")[0] for line in text.splitlines()
                   if line.startswith(("import ", "from "))}
        assert "cdisc_mirocals" not in text
        assert imports <= {"json", "math", "re", "sys", "pathlib", *program.packages}, imports


def test_the_programs_name_the_study_of_the_spec(program_dir, spec):
    """The study's name comes from specs/study.toml, not from the templates: another study's programs name it."""
    import dataclasses
    from importlib import resources

    from cdisc_mirocals.submission.programs import program_text

    other = dataclasses.replace(spec.study, studyid="OTHERSTUDY")
    for program in programs(spec):
        template = resources.files("cdisc_mirocals.submission.programs").joinpath(program.file.replace(".txt", ".py.txt"))
        assert spec.study.studyid not in template.read_text("utf-8")
        assert (program_dir / program.file).read_text("utf-8").startswith(f'"""{spec.study.studyid}: ')
        assert program_text(dataclasses.replace(spec, study=other), program.file).startswith('"""OTHERSTUDY: ')


def test_the_programs_parameters_are_the_analysis_plan(program_dir, spec):
    """Written from the study's [analysis] settings, as the package's own analyses read them."""
    params, o = analysis_options(spec)
    text = (program_dir / "survival.txt").read_text("utf-8")
    config = json.loads(text.split("r'''", 1)[1].split("'''", 1)[0])
    assert config == {"parameters": params, "treatment_var": o.treatment_var, "reference": o.reference,
                      "population": o.population, "strata_var": o.strata_var, "covariates": list(o.covariates),
                      "biomarker_var": o.biomarker_var, "subgroup_var": o.subgroup_var,
                      "survival_times": [float(t) for t in o.survival_times], "tau": o.tau, "alpha": o.alpha}
    text = (program_dir / "safety.txt").read_text("utf-8")
    config = json.loads(text.split("r'''", 1)[1].split("'''", 1)[0])
    assert config == {"population": o.safety_population, "treatment_var": o.safety_treatment_var,
                      "reference": o.reference, "site_reaction_pattern": o.site_reaction_pattern,
                      "severity_order": list(SEVERITY_ORDER), "exposure": list(o.exposure_vars), "alpha": o.alpha}
    text = (program_dir / "secondary.txt").read_text("utf-8")
    config = json.loads(text.split("r'''", 1)[1].split("'''", 1)[0])
    assert config == {"reference": o.reference, "alpha": o.alpha,
                      "treg": {"parameters": list(o.treg_params), "population": o.population,
                               "treatment_var": o.treatment_var, "covariates": list(o.treg_covariates),
                               "factors": list(o.treg_factors)},
                      "safety": {"population": o.safety_population, "treatment_var": o.safety_treatment_var,
                                 "lab_grade": o.lab_grade, "vitals_parameters": list(o.vitals_params)}}
    assert config["treg"]["parameters"] and config["safety"]["vitals_parameters"]  # the study's plan has them
    text = (program_dir / "exposure.txt").read_text("utf-8")
    config = json.loads(text.split("r'''", 1)[1].split("'''", 1)[0])
    assert config == {"population": o.safety_population, "treatment_var": o.safety_treatment_var,
                      "reference": o.reference, "exposure_params": list(o.exposure_params)}
    assert config["exposure_params"]  # the study's plan has them


@pytest.mark.parametrize("file", sorted(REGISTRY))
def test_each_program_reproduces_every_row_of_its_results(file, public_python, program_dir, converted, spec):
    """Run as in the submission, with no argument (the program finds the datasets beside its folder), each
    program prints every row of every result it computes (survival: KM, log-rank, each Cox model with its
    likelihood-ratio and proportional-hazards tests, RMST; safety: the TEAE overview, SOC and PT, severity,
    serious TEAEs, exposure; secondary: the regulatory T-cell ANCOVAs, laboratory shifts and grades, vital
    signs by visit), each of its numbers equal to the analyses' to 1e-8."""
    program = {p.file: p for p in programs(spec)}.get(file)
    if program is None:
        pytest.skip(f"the study's analysis plan has no analyses of {file}")
    printed = _run(public_python, program_dir / file)["results"]
    reference = {i: row for i, row in _reference(converted.out / "analysis").items() if program.computes(i[0])}
    compared, bad = _differences(printed, reference)
    assert not bad, "\n".join(bad[:30])
    assert len({_identity(r) for r in printed}) == len(printed), "a row printed twice"
    assert {_identity(r) for r in printed} == set(reference) and compared > len(printed)
    # every analysis result of define.xml that names this program has its rows printed
    keys = {r["key"] for r in printed}
    assert {r.key for r in spec.adam.analysis_results if program.computes(r.key)} <= keys
    assert all(any(k.startswith(prefix) for k in keys) for prefix in program.prefixes), (program.prefixes, keys)


def test_the_secondary_program_reads_the_folder_it_is_given(public_python, program_dir, converted, tmp_path):
    """Away from the submission's folders, given the datasets folder, it prints what it prints in place; and
    without ADLB or ADVS it says so and prints the analyses of the other."""
    import shutil

    adam = converted.out / "m5/datasets/mirocals/analysis/adam/datasets"
    moved = tmp_path / "secondary.txt"
    shutil.copy(program_dir / "secondary.txt", moved)
    assert _run(public_python, moved, str(adam))["results"] == _run(public_python, program_dir / "secondary.txt")["results"]
    only_vs = tmp_path / "datasets"
    only_vs.mkdir()
    shutil.copy(adam / "advs.xpt", only_vs / "advs.xpt")
    done = _run(public_python, moved, str(only_vs))
    assert {r["key"] for r in done["results"]} == {"VS/by_visit"}
    assert len(done["notes"]) == 1 and "no adlb.xpt" in done["notes"][0]


def test_the_exposure_program_reads_the_folder_it_is_given(public_python, program_dir, converted, tmp_path):
    """Away from the submission's folders, given the datasets folder, it prints what it prints in place, one
    row per overall ADEX parameter of the plan and arm; without adex.xpt it stops and says which file it lacks."""
    import shutil

    adam = converted.out / "m5/datasets/mirocals/analysis/adam/datasets"
    moved = tmp_path / "exposure.txt"
    shutil.copy(program_dir / "exposure.txt", moved)
    done = _run(public_python, moved, str(adam))
    assert done == _run(public_python, program_dir / "exposure.txt")
    assert [r["name"] for r in done["results"][::len(done["n_by_arm"])]] == done["config"]["exposure_params"]
    assert not done["notes"] and all(0 < r["n"] <= done["n_by_arm"][r["group"]] for r in done["results"])
    only_adsl = tmp_path / "datasets"
    only_adsl.mkdir()
    shutil.copy(adam / "adsl.xpt", only_adsl / "adsl.xpt")
    failed = subprocess.run([public_python, "-I", str(moved), str(only_adsl)], capture_output=True, text=True,
                            timeout=600)
    assert failed.returncode != 0 and "no adex.xpt in" in failed.stderr and "Traceback" not in failed.stderr


def test_the_efficacy_programs_parameters_are_the_longitudinal_plan(program_dir, spec):
    """efficacy.txt computes with [analysis.longitudinal] as the package's analyses read it."""
    _, o = analysis_options(spec)
    text = (program_dir / "efficacy.txt").read_text("utf-8")
    config = json.loads(text.split("r'''", 1)[1].split("'''", 1)[0])
    assert config == {"reference": o.reference, "alpha": o.alpha, "population": o.population,
                      "treatment_var": o.treatment_var, "longitudinal": dict(o.longitudinal)}
    assert {p["paramcd"] for p in config["longitudinal"]["parameters"]} == {"ALSFRST", "SVCPP"}
    assert "cafs" in config["longitudinal"]  # the study's plan has CAFS


def test_the_efficacy_program_reads_the_folder_it_is_given(public_python, program_dir, converted, tmp_path):
    """Given a datasets folder without adtte.xpt or adre.xpt, it prints the ALSFRS-R slope and MMRM as in
    place and says, for each analysis it cannot do, which file is missing."""
    import shutil

    adam = converted.out / "m5/datasets/mirocals/analysis/adam/datasets"
    moved = tmp_path / "efficacy.txt"
    shutil.copy(program_dir / "efficacy.txt", moved)
    only_qs = tmp_path / "datasets"
    only_qs.mkdir()
    shutil.copy(adam / "adqs.xpt", only_qs / "adqs.xpt")
    done = _run(public_python, moved, str(only_qs))
    assert {r["key"] for r in done["results"]} == {"ALSFRST/slope", "ALSFRST/mmrm"}
    in_place = _run(public_python, program_dir / "efficacy.txt")["results"]
    assert done["results"] == [r for r in in_place if r["key"].startswith("ALSFRST/")]
    assert len(done["notes"]) == 2
    assert any("no adre.xpt" in n and "SVCPP" in n for n in done["notes"])
    assert any("no adtte.xpt" in n and "CAFS" in n for n in done["notes"])
