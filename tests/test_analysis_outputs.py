"""What analyze writes and says: provenance, one JSON shape, numeric CSV, escaped HTML, ARM links, clear
errors for bad options, and reasons instead of crashes when a study cannot be analysed."""

import hashlib
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cdisc_mirocals import pipeline
from cdisc_mirocals.submission.package import write_frames
from cdisc_mirocals.analysis import analyze
from cdisc_mirocals.analysis.figures import endpoint, time_ticks, y_label
from cdisc_mirocals.analysis.fmt import estimate_ci, num, pvalue
from cdisc_mirocals.cli import main

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://example.org","click")'


def _small_adam(adam, n_per_arm=25):
    """The default study cut to a few subjects per arm, with two adverse events named to attack a
    browser and a spreadsheet."""
    adsl = adam["ADSL"]
    keep = adsl[adsl["ITTFL"] == "Y"].groupby("TRT01P").head(n_per_arm)["USUBJID"]
    frames = {name: frame[frame["USUBJID"].isin(keep)].reset_index(drop=True) for name, frame in adam.items()}
    ae = frames["ADAE"]
    teae = ae.index[ae["TRTEMFL"] == "Y"]
    ae.loc[teae[0], "AEDECOD"], ae.loc[teae[1], "AEDECOD"] = SCRIPT, FORMULA
    return frames


@pytest.fixture(scope="module")
def small_dir(adam, spec, tmp_path_factory):
    folder = tmp_path_factory.mktemp("small") / "adam"
    write_frames(_small_adam(adam), folder, spec, "ADaM")
    return folder


@pytest.fixture(scope="module")
def mapped(small_dir, spec, tmp_path_factory):
    """The small study analysed with an ARM mapping and SOURCE_DATE_EPOCH set."""
    out = tmp_path_factory.mktemp("mapped")
    params, options = pipeline.analysis_options(spec)
    options = type(options)(**{**options.__dict__, "arm": {"OS640/cox_unadjusted": ("RD.T14.2.1", "AR.OS640.COX1"),
                                                            "SAFETY/overview": ("RD.T14.3.1", "AR.AE.OVERVIEW")}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1718064000")
        analyze(small_dir, out, params, options)
    return out


def _json(path):
    return json.loads(path.read_text())


def test_provenance_has_version_input_hashes_options_and_the_source_date_epoch(mapped, small_dir):
    from cdisc_mirocals import __version__
    prov = _json(mapped / "results.json")["provenance"]
    assert prov["version"] == __version__ and prov["timestamp"] == "2024-06-11T00:00:00Z"
    hashes = {i["file"]: i["sha256"] for i in prov["inputs"]}
    # every dataset read: the survival, safety, exposure, secondary efficacy (ADQS, ADRE) and ADLB/ADVS analyses
    assert set(hashes) == {"adtte.xpt", "adsl.xpt", "adae.xpt", "adex.xpt", "adqs.xpt", "adre.xpt", "adlb.xpt",
                           "advs.xpt"}
    for name, digest in hashes.items():
        assert hashlib.sha256((small_dir / name).read_bytes()).hexdigest() == digest
    assert prov["options"]["ties"] == "efron" and prov["options"]["population"] == "ITTFL"
    assert str(small_dir) not in json.dumps(prov)  # no machine paths
    for name in ("safety.json", "baseline.json"):
        assert _json(mapped / name)["provenance"] == prov


def test_without_source_date_epoch_the_timestamp_is_the_time_of_the_run(monkeypatch):
    from datetime import datetime, timezone

    from cdisc_mirocals.analysis.data import AnalysisError
    from cdisc_mirocals.analysis.provenance import timestamp
    from cdisc_mirocals.submission.timestamp import run_clock
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    with run_clock() as pinned:
        stamp = timestamp()
        assert stamp == pinned.strftime("%Y-%m-%dT%H:%M:%SZ")  # the second the run's other files carry
    after = datetime.now(timezone.utc)
    assert before <= datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) <= after
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert timestamp() == "1970-01-01T00:00:00Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(AnalysisError, match="SOURCE_DATE_EPOCH must be a whole number of seconds"):
        timestamp()


def test_arm_oids_are_serialized_and_link_the_numbers_of_the_report(mapped):
    results = {r["key"]: r for r in _json(mapped / "results.json")["results"]}
    assert (results["OS640/cox_unadjusted"]["display_oid"], results["OS640/cox_unadjusted"]["result_oid"]) == \
        ("RD.T14.2.1", "AR.OS640.COX1")
    assert results["OS640/cox_stratified"]["result_oid"] is None
    safety = {r["key"]: r for r in _json(mapped / "safety.json")["results"]}
    assert safety["SAFETY/overview"]["result_oid"] == "AR.AE.OVERVIEW"
    html = (mapped / "report.html").read_text()
    linked = ('<td class="num" data-analysis="OS640/cox_unadjusted" data-display-oid="RD.T14.2.1" '
              'data-result-oid="AR.OS640.COX1">')  # a number: it does not wrap
    assert f"{linked}HR " in html  # the hazard ratio itself carries its ARM result
    assert re.search(r'<td class="num" data-analysis="SAFETY/overview" data-display-oid="RD.T14.3.1" '
                     r'data-result-oid="AR.AE.OVERVIEW">\d+ \(', html)
    assert 'id="safety-overview"' in html and 'id="os640-cox-unadjusted"' in html
    stratified = re.findall(r'<td(?: class="num")? data-analysis="OS640/cox_stratified"([^>]*)>', html)
    assert stratified and all("oid" not in a for a in stratified)  # no mapping, no OIDs


def test_report_is_one_self_contained_page_and_escapes_data(mapped):
    html = (mapped / "report.html").read_text()
    assert html.count("<html") == 1 and "data:image/png;base64," in html
    assert 'src="http' not in html and "<link" not in html  # nothing to fetch
    for section in ("Study population", "Efficacy", "Safety", "Demographics and baseline characteristics",
                    "Subject disposition", "CONSORT", "Kaplan-Meier", "Forest plot of hazard ratios",
                    "TEAEs by system organ class", "Adverse event dot plot"):
        assert section in html, section
    for page in ("report.html", "safety.html"):
        text = (mapped / page).read_text()
        assert SCRIPT not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text, page


def test_csv_files_hold_numbers_and_neutralise_formulas(mapped):
    results = pd.read_csv(mapped / "results.csv")
    for col in ("estimate", "ci_lower", "ci_upper", "p", "statistic", "n", "events"):
        assert pd.api.types.is_float_dtype(results[col]), col
    assert not results["estimate"].astype(str).str.contains(r"\(").any()
    soc_pt = pd.read_csv(mapped / "safety_soc_pt.csv", keep_default_na=False)
    assert "'" + FORMULA in set(soc_pt["pt"]) and FORMULA not in set(soc_pt["pt"])
    rd = pd.to_numeric(soc_pt.loc[soc_pt["measure"] == "risk_difference", "ci_lower"])
    assert (rd < 0).any()  # negative numbers stay numbers
    table1 = pd.read_csv(mapped / "table1.csv")
    assert pd.api.types.is_float_dtype(table1["mean"]) and pd.api.types.is_float_dtype(table1["pct"])


def test_every_result_of_every_json_has_the_same_fields(mapped):
    shapes = set()
    for name in ("results.json", "safety.json", "baseline.json"):
        shapes |= {tuple(r) for r in _json(mapped / name)["results"]}
    assert len(shapes) == 1


def test_the_interaction_model_names_each_subgroup_hr_and_the_interaction_p(mapped):
    inter = next(r for r in _json(mapped / "results.json")["results"] if r["key"] == "OS640/cox_pnfh_interaction")
    names = [r["name"] for r in inter["summary"]]
    assert names.count("hr_low") == names.count("hr_high") == names.count("interaction") == 1
    assert "hr" not in names
    low = next(r for r in inter["summary"] if r["name"] == "hr_low")
    assert low["term"] == "<=3700 pg/mL" and low["group"] == "Aldesleukin 2 MIU"


def _analyze(args, out):
    return CliRunner().invoke(main, ["analyze", *args, "--out", str(out)])


@pytest.mark.parametrize("args,message", [
    (["--tau", "-5"], "-5.0 is not in the range x>0"),
    (["--tau", "0"], "0.0 is not in the range x>0"),
    (["--survival-times", "180,abc"], "expected numbers of days"),
    (["--survival-times", "-3"], "expected days >= 0"),
])
def test_impossible_option_values_are_usage_errors(small_dir, tmp_path, args, message):
    result = _analyze([str(small_dir), *args], tmp_path)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_a_covariate_that_is_nowhere_is_a_usage_error_not_a_silent_skip(small_dir, tmp_path):
    result = _analyze([str(small_dir), "--covariates", "NOPE"], tmp_path)
    assert result.exit_code == 2 and "the variable NOPE is in neither ADTTE" in result.output
    result = _analyze([str(small_dir), "--covariates", "AGE,log(NOPE2)"], tmp_path)
    assert result.exit_code == 2 and "NOPE2" in result.output
    result = _analyze([str(small_dir), "--strata", "NOSTRATA"], tmp_path)
    assert result.exit_code == 2 and "NOSTRATA" in result.output


def test_tau_beyond_the_last_follow_up_is_refused_with_the_reason(small_dir, tmp_path):
    result = _analyze([str(small_dir), "--tau", "5000", "--param", "OS"], tmp_path)
    assert result.exit_code == 0
    assert "tau = 5000 days is beyond the last follow-up" in result.output
    assert "no SDTM folder beside the ADaM folder" in result.output  # an ADaM folder alone still works
    rmst = next(r for r in _json(tmp_path / "results.json")["results"] if r["key"] == "OS/rmst")
    assert "beyond the last follow-up" in rmst["skipped"] and rmst["summary"] == []


def test_analyze_without_adam_dir_applies_the_options(small_dir, tmp_path, monkeypatch):
    made = []

    def convert(raw_dir, out, spec=None, analysis=True, keep=True):  # the main job, already done: the small study
        made.append((raw_dir, out, analysis))
        return type("Converted", (), {"adam_dir": small_dir, "out": out})()

    monkeypatch.setattr(pipeline, "convert", convert)
    out = tmp_path / "analysis"
    result = _analyze(["--param", "OS", "--ties", "breslow", "--tau", "365"], out)
    assert result.exit_code == 0, result.output
    assert made == [(None, out / "study", False)]  # the study is made inside OUT, without its default analysis
    document = _json(out / "results.json")
    assert [p["paramcd"] for p in document["parameters"]] == ["OS"]
    assert document["provenance"]["options"]["ties"] == "breslow" and document["provenance"]["options"]["tau"] == 365
    cox = next(r for r in document["results"] if r["key"] == "OS/cox_unadjusted")
    assert cox["parameters"]["ties"] == "breslow"


def _variant(adam, spec, folder, change):
    frames = {k: v.copy() for k, v in _small_adam(adam, 10).items()}
    change(frames)
    write_frames(frames, folder, spec, "ADaM")
    return folder


@pytest.mark.parametrize("case,change,reason", [
    ("one arm", lambda f: f.update({k: v[~v["USUBJID"].isin(f["ADSL"].loc[f["ADSL"]["TRT01P"] != "Placebo", "USUBJID"])]
                                    for k, v in f.items()}), "only one arm (Placebo) in the population"),
    ("one subject", lambda f: f.update({k: v[v["USUBJID"] == f["ADSL"]["USUBJID"].iloc[0]] for k, v in f.items()}),
     "only one arm"),
    ("no events", lambda f: f["ADTTE"].__setitem__("CNSR", 1.0), "no events in OS640"),
])
def test_a_study_that_cannot_be_analysed_says_why_and_exits_0(adam, spec, tmp_path, case, change, reason):
    folder = _variant(adam, spec, tmp_path / "adam", change)
    result = _analyze([str(folder)], tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and f"Cox: unadjusted: not done: {reason}" in result.output
    results = _json(tmp_path / "out" / "results.json")["results"]
    cox = next(r for r in results if r["key"] == "OS640/cox_unadjusted")
    assert reason in cox["skipped"]
    assert (tmp_path / "out" / "report.html").exists()


def test_convert_finishes_on_a_one_subject_study(tmp_path):
    raw = tmp_path / "raw"
    assert CliRunner().invoke(main, ["simulate", "--subjects", "1", "--out", str(raw)]).exit_code == 0
    result = CliRunner().invoke(main, ["convert", str(raw), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    # the one subject is in one arm: the comparisons say so, whichever arm it is
    assert ("Log-rank test: not done: only one arm" in result.output
            or "Log-rank test: not done: the reference arm 'Placebo' has no subjects in the population" in result.output)
    assert "analyses not done (reasons above and in the JSON files)" in result.output


def test_the_command_line_imports_nothing_heavy():
    code = ("import sys, cdisc_mirocals.cli; print(sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'lifelines', "
            "'lxml', 'scipy', 'pyreadstat') if m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


@pytest.mark.parametrize("p,text", [(8e-14, "< 0.001"), (0.000999, "< 0.001"), (0.001, "0.001"), (0.0496, "0.050"),
                                    (0.378, "0.378"), (None, "")])
def test_p_values_print_as_journals_print_them(p, text):
    assert pvalue(p) == text


@pytest.mark.parametrize("x,digits,text", [(-0.04, 1, "0.0"), (-0.0, 1, "0.0"), (-0.0049, 2, "0.00"), (-0.4, 0, "0"),
                                           (-0.05001, 1, "-0.1"), (-1.0, 1, "-1.0"), (0.04, 1, "0.0"),
                                           (float("nan"), 1, "NE")])
def test_a_number_that_rounds_to_zero_prints_without_a_sign(x, digits, text):
    assert num(x, digits) == text


def test_no_table_of_the_study_prints_a_signed_zero(default_outputs):
    _, out = default_outputs
    assert estimate_ci(-0.001, -0.02, 0.3, 1) == "0.0 (0.0, 0.3)"
    markdown = (out / "analysis" / "tables.md").read_text()
    assert not re.findall(r"-0\.0+(?![0-9])", markdown)


@pytest.mark.parametrize("horizon", [30, 189, 640, 1680, 3650, 100000])
def test_time_axes_get_a_few_round_ticks_whatever_the_follow_up(horizon):
    ticks = time_ticks(horizon)
    assert ticks[0] == 0 and 4 <= len(ticks) <= 10 and ticks[-1] <= horizon
    step = ticks[1] - ticks[0]
    assert np.allclose(np.diff(ticks), step) and str(int(step)).rstrip("0") in ("1", "2", "5")


@pytest.mark.parametrize("param,title,label", [
    ("Time to Death up to Day 640 (days)", "Time to death up to day 640", "Probability of survival"),
    ("Time to Death (days)", "Time to death", "Probability of survival"),
    ("Time to Death, Tracheostomy or PAV (days)", "Time to death, tracheostomy or PAV",
     "Probability free of death, tracheostomy or PAV"),
    ("Time to First Dermatologic Event", "Time to first dermatologic event", "Probability free of dermatologic event"),
])
def test_figure_titles_and_y_labels_come_from_param(param, title, label):
    assert endpoint(param) == title and y_label(param) == label
