"""The main job end to end on the default study: nothing lost, everything valid, files exact and reproducible."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals import pipeline
from cdisc_mirocals.errors import Problem
from cdisc_mirocals.raw import LINE
from cdisc_mirocals.sdtm.context import FORM, Context
from cdisc_mirocals.submission.xpt import read_xpt
from cdisc_mirocals.validate.run import validate_datasets

from conftest import SOURCE_DATE_EPOCH


def test_every_raw_record_is_mapped_or_excluded_with_a_reason(converted, default_raw_dir, spec):
    recon = pd.read_csv(converted.reconciliation_path, dtype=str, keep_default_na=False)
    for form in spec.raw.values():
        on_disk = (default_raw_dir / form.file).read_text().count("\n") - 1  # records, header excluded
        rows = recon[recon["FORM"] == form.name]
        assert len(rows) == on_disk, form.name
        assert sorted(rows["LINE"].astype(int)) == list(range(2, on_disk + 2)), form.name
    assert set(recon["STATUS"]) <= {"mapped", "excluded"}
    assert (recon.loc[recon["STATUS"] == "mapped", "DOMAINS"] != "").all()
    excluded = recon[recon["STATUS"] == "excluded"]
    assert (excluded["REASON"] != "").all() and (excluded["DOMAINS"] == "").all()
    counts = converted.sdtm.counts().set_index("FORM")
    assert (counts["raw"] == counts["mapped"] + counts["excluded"]).all()


def test_every_injection_log_row_is_mapped_to_ec_and_the_given_ones_to_ex(converted):
    """Every row of the log is in EC (and in EX when given), except the days not given that are dated after
    the subject's end of participation: those are excluded, each with its reason, and EC has no record
    after DM.RFPENDTC."""
    recon = converted.sdtm.reconciliation
    inj = recon[recon["FORM"] == "INJ"].set_index("LINE")
    raw = converted.raw["INJ"].set_index(LINE)
    given = raw["INJDONE"].str.strip().str.casefold() == "yes"
    end = ("MIROCALS-" + raw["SUBJID"].str.strip()).map(converted.sdtm.datasets["DM"].set_index("USUBJID")["RFPENDTC"])
    late = ~given & (raw["INJDAT"].str[:10] > end.str[:10]).fillna(False)
    assert 5 <= late.sum() <= 50  # the simulated study has 14 such rows, 11 of them after death
    assert len(inj) == len(raw) and set(inj.index) == set(raw.index)
    assert (inj.loc[late[late].index, "STATUS"] == "excluded").all()
    assert inj.loc[late[late].index, "REASON"].str.contains("after the subject's end of participation").all()
    kept = late[~late].index
    assert (inj.loc[kept, "STATUS"] == "mapped").all()
    assert (inj.loc[kept, "DOMAINS"] == given[kept].map({True: "EC EX", False: "EC"})).all()
    ec = converted.sdtm.datasets["EC"].merge(converted.sdtm.datasets["DM"][["USUBJID", "RFPENDTC"]], on="USUBJID")
    assert len(ec) == len(kept) and not (ec["ECSTDTC"].str[:10] > ec["RFPENDTC"].str[:10]).any()


def test_screen_failures_are_excluded_outside_dm_ds_ie_and_sv(converted):
    recon = converted.sdtm.reconciliation
    sf = recon[recon["REASON"].str.startswith("screen failure")]
    assert len(sf) > 0 and set(sf["FORM"]) >= {"LAB", "VS"} and "VISIT" not in set(sf["FORM"])
    assert not sf["SUBJID"].isin(converted.raw["RAND"]["SUBJID"].str.strip()).any()
    # their screening visit is in SV, which their IE records refer to
    failed = set(converted.raw["ENROL"]["SUBJID"].str.strip()) - set(converted.raw["RAND"]["SUBJID"].str.strip())
    visits = recon[(recon["FORM"] == "VISIT") & recon["SUBJID"].isin(failed)]
    assert len(visits) == len(failed) and (visits["DOMAINS"] == "SV").all()


def test_every_visit_of_every_domain_is_in_sv(converted):
    sv = converted.sdtm.datasets["SV"]
    known = set(zip(sv["USUBJID"], sv["VISITNUM"]))
    for name, frame in converted.sdtm.datasets.items():
        if name != "SV" and {"USUBJID", "VISITNUM"} <= set(frame):
            visits = frame[frame["VISITNUM"].notna()]
            missing = set(zip(visits["USUBJID"], visits["VISITNUM"])) - known
            assert not missing, (name, sorted(missing)[:5])


def test_sdtm_and_adam_pass_the_schemas_generated_from_specs(converted, spec):
    assert set(converted.sdtm.datasets) == set(spec.sdtm.datasets)
    assert set(converted.adam) == set(spec.adam.datasets)
    assert validate_datasets(converted.sdtm.datasets, spec.sdtm) == []
    assert validate_datasets(converted.adam, spec.adam) == []


def test_schemas_catch_what_they_promise(converted, spec):
    ae = converted.sdtm.datasets["AE"].copy()
    ae.loc[0, "AESEV"] = "CATASTROPHIC"  # not in the codelist
    ae.loc[1, "AESTDTC"] = "2019-02-30"  # not a date
    ae.loc[2, "AETERM"] = "x" * 201  # over 200 bytes
    ae.loc[3, "USUBJID"] = ""  # required
    ae.loc[5] = ae.loc[4]  # duplicate key
    found = validate_datasets({"AE": ae}, spec.sdtm)
    text = "\n".join(str(p) for p in found)
    for expected in ("codelist AESEV", "ISO 8601", "at most 200 bytes", "Mandatory", "AE (STUDYID"):
        assert expected in text, text
    assert any(p.line == 6 for p in found)  # the duplicate is reported on its own record


def _value_length(std, dataset: str, variable: str, where_value: str) -> int:
    return next(v.length for v in std.valuelevel
                if v.dataset == dataset and v.variable == variable and v.where[0].values == (where_value,))


def test_values_longer_than_their_spec_length_are_reported(converted, spec):
    ta = converted.sdtm.datasets["TA"].copy()
    tabranch = spec.sdtm["TA"].variable("TABRANCH").length
    ta.loc[0, "TABRANCH"] = "Randomised to Aldesleukin 2 MIU or Placebo at the end of the run-in"  # the old text
    ta.loc[1, "TABRANCH"] = "é" * (tabranch // 2 + 1)  # fits in characters, not in UTF-8 bytes
    ta.loc[2, "TABRANCH"] = "é" * (tabranch // 2)  # fits
    ts = converted.sdtm.datasets["TS"].copy()
    actsub = ts.index[ts["TSPARMCD"] == "ACTSUB"][0]
    actsub_length = _value_length(spec.sdtm, "TS", "TSVAL", "ACTSUB")  # below the variable's Length
    ts.loc[actsub, "TSVAL"] = "9" * (actsub_length + 1)
    adtte = converted.adam["ADTTE"].copy()
    os_ = adtte.index[adtte["PARAMCD"] == "OS"][0]
    os_length = _value_length(spec.adam, "ADTTE", "EVNTDESC", "OS")
    adtte.loc[os_, "EVNTDESC"] = "D" * (os_length + 1)
    found = validate_datasets({"TA": ta, "TS": ts}, spec.sdtm) + validate_datasets({"ADTTE": adtte}, spec.adam)
    lengths = sorted((p.file.split()[0], p.line, p.expected) for p in found if "bytes" in p.expected)
    assert lengths == [
        ("ADTTE", os_ + 1, f"EVNTDESC at most {os_length} bytes where PARAMCD EQ OS"),
        ("TA", 1, f"at most {tabranch} bytes"), ("TA", 2, f"at most {tabranch} bytes"),
        ("TS", actsub + 1, f"TSVAL at most {actsub_length} bytes where TSPARMCD EQ ACTSUB"),
    ], found


@pytest.mark.parametrize("standard", ["sdtm", "adam"])
def test_every_xpt_reads_back_with_the_same_values_labels_and_names(converted, spec, standard):
    datasets = converted.sdtm.datasets if standard == "sdtm" else converted.adam
    folder = converted.sdtm_dir if standard == "sdtm" else converted.adam_dir
    std = getattr(spec, standard)
    written = {p.stem.upper() for p in folder.glob("*.xpt")}
    assert written == {name for name, frame in datasets.items() if len(frame)}  # no empty dataset is submitted
    for name, frame in datasets.items():
        if name not in written:
            continue
        back, meta = read_xpt(folder / f"{name.lower()}.xpt")
        assert meta.table_name == name and list(back.columns) == list(frame.columns), name
        assert meta.column_labels == [std[name].variable(c).label for c in frame.columns], name
        for var in std[name].variables:
            ours, theirs = frame[var.name], back[var.name]
            if var.format.startswith("DATE"):  # SAS dates come back as dates
                theirs = (pd.to_datetime(theirs) - pd.Timestamp("1960-01-01")).dt.days
            if var.is_numeric:
                np.testing.assert_array_equal(theirs.to_numpy(float), ours.to_numpy(float), err_msg=f"{name}.{var.name}")
            else:
                assert theirs.tolist() == ours.tolist(), f"{name}.{var.name}"


def _digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_inputs_give_byte_identical_outputs(default_raw_dir, tmp_path, spec, converted, monkeypatch):
    """Every file of the output (XPT, Dataset-JSON, reconciliation, log, analysis) with SOURCE_DATE_EPOCH set;
    the rerun lets each frame go once its stage is done (keep=False, as the CLI runs it), which must change
    nothing written."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    again = pipeline.convert(default_raw_dir, tmp_path / "again", spec, keep=False)
    assert again.raw is None and again.sdtm.datasets == {} and again.adam == {}
    assert set(again.written["SDTM"]) == set(converted.sdtm.datasets) and set(again.written["ADaM"]) == set(converted.adam)
    assert again.sdtm.reconciliation.equals(converted.sdtm.reconciliation)
    first, second = _digests(converted.out), _digests(again.out)
    assert sorted(first) == sorted(second)
    assert {p for p in first if p.endswith((".xpt", ".json"))} >= {"m5/datasets/mirocals/tabulations/sdtm/dm.xpt",
                                                                    "m5/datasets/mirocals/tabulations/sdtm/dm.json"}
    assert "m5/datasets/mirocals/analysis/adam/datasets/analysis-displays.pdf" in first
    differ = sorted(p for p in first if first[p] != second[p])
    assert not differ


def test_unmapped_terms_are_errors_for_closed_codelists_and_notes_for_extensible_ones(raw_study, spec):
    ctx = Context(raw_study, spec)
    records = pd.DataFrame({"SUBJID": ["01-0001", "01-0001"], "X": ["Moderate ", "Catastrophic"],
                            "ROUTE": ["oral", "Intrathecal pump"], FORM: "AE", LINE: [7, 9]})
    assert ctx.ct(records, "X", "AESEV").tolist()[0] == "MODERATE"
    assert ctx.ct_errors == [Problem("ae.csv", 9, "X", "Catastrophic",
                                     "a value of codelist AESEV (MILD | MODERATE | SEVERE)")]
    routes = ctx.ct(records, "ROUTE", "ROUTE")
    assert routes.tolist() == ["ORAL", "INTRATHECAL PUMP"]  # kept, upper-cased, as a sponsor extension
    assert len(ctx.ct_notes) == 1 and ctx.ct_notes[0].line == 9


def test_value_level_failures_name_the_variable_and_value(converted, spec):
    ts = converted.sdtm.datasets["TS"].copy()
    row = ts.index[ts["TSPARMCD"] == "TPHASE"][0]
    ts.loc[row, "TSVAL"] = "PHASE 9"
    found = validate_datasets({"TS": ts}, spec.sdtm)
    assert [(p.line, p.column, p.value) for p in found] == [(row + 1, "TSVAL", "PHASE 9")]
    assert "codelist TPHASE where TSPARMCD EQ TPHASE" in found[0].expected
