"""specs/ loads into typed objects; malformed sheets are refused with file, line and column;
CDISC codes are the published ones."""

import shutil
import tarfile

import pandas as pd
import pytest

from cdisc_mirocals.errors import SpecError
from cdisc_mirocals.spec import load_spec

from conftest import REFERENCE
from ct_reference import adam_ct, adam_ct_path

CT_TARBALL = REFERENCE / "controlled-terminology" / "SDTM Terminology.tar.xz"


def test_study_parameters(spec):
    assert spec.study.studyid == "MIROCALS"
    assert spec.study.pnfh_threshold == 3700
    assert spec.study.primary_window_days == 640
    assert spec.study["standards"]["sdtmig"] == "3.4" and spec.study["standards"]["adamig"] == "1.3"
    assert spec.study["standards"]["define_xml"].startswith("2.1")


def test_every_dataset_has_ordered_variables_and_known_keys(spec):
    for std in (spec.sdtm, spec.adam):
        assert std.datasets
        for ds in std.datasets.values():
            orders = [v.order for v in ds.variables]
            assert orders == sorted(orders) and len(set(orders)) == len(orders), ds.name
            assert set(ds.keys) <= set(ds.names), ds.name
            assert all(len(v.name) <= 8 and len(v.label) <= 40 for v in ds.variables), ds.name


def test_study_domains_are_specified(spec):
    sdtm = set(spec.sdtm.datasets)
    assert {"DM", "SUPPDM", "SE", "SV", "EX", "CM", "AE", "DS", "MH", "DD", "PR", "LB", "QS", "RE", "VS",
            "TA", "TE", "TV", "TI", "TS"} <= sdtm
    assert {"ADSL", "ADTTE", "ADAE"} <= set(spec.adam.datasets)


def test_raw_forms_have_subjects_and_keys(spec):
    assert len(spec.raw) == 17
    for form in spec.raw.values():
        assert "SUBJID" in form.columns
        assert form.keys and set(form.keys) <= set(form.columns)


@pytest.fixture
def specs_copy(tmp_path, spec):
    dst = tmp_path / "specs"
    shutil.copytree(spec.root, dst)
    return dst


def _edit_csv(path, line_no, column, value):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[line_no - 2, column] = value
    df.to_csv(path, index=False)


@pytest.mark.parametrize("sheet,column,value,expected", [
    ("sdtm/variables.csv", "Length", "eight", "a whole number of bytes"),
    ("sdtm/variables.csv", "Mandatory", "Maybe", "Yes or No"),
    ("sdtm/variables.csv", "Codelist", "NOSUCHCL", "an ID defined in codelists sheet"),
    ("adam/variables.csv", "Label", "A label that is much longer than forty characters", "at most 40 characters"),
    ("adam/variables.csv", "Origin", "Guessed", "one of"),
    ("raw/fields.csv", "Type", "datetime-ish", "one of"),
    ("sdtm/codelists.csv", "Extensible", "", "a value is required"),
])
def test_malformed_spec_names_file_line_and_column(specs_copy, sheet, column, value, expected):
    _edit_csv(specs_copy / sheet, 5, column, value)
    with pytest.raises(SpecError) as info:
        load_spec(specs_copy)
    problems = [str(p) for p in info.value.problems]
    assert any(p.startswith(f"specs/{sheet}:5, column {column}") and expected in p for p in problems), problems


@pytest.mark.parametrize("edit, count, value", [
    (lambda line: line.replace("Computation,", "Computation,An unquoted, comma in the text;", 1), 9, "None"),
    (lambda line: line.rsplit(",", 1)[0], 7, "None"),
    (lambda line: line + ",spilled text", 9, "'spilled text'"),
])
def test_a_row_with_more_or_fewer_fields_than_its_header_is_refused(specs_copy, edit, count, value):
    """An unquoted comma shifts every later value: the row is refused, never read in part (the loader
    once took the ninth field of such a row and lost the end of a method's text)."""
    path = specs_copy / "adam" / "methods.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    line_no = next(i for i, line in enumerate(lines, start=1) if line.startswith("MT.") and "Computation," in line)
    lines[line_no - 1] = edit(lines[line_no - 1])
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(specs_copy)
    problems = [str(p) for p in info.value.problems]
    expected = (f"specs/adam/methods.csv:{line_no}" + ("" if value == "None" else f", value {value}")
                + f": 8 fields as in the header, not {count}; a value holding a comma must be in double quotes")
    assert expected in problems, problems


def test_missing_sheet_is_named(specs_copy):
    (specs_copy / "adam" / "methods.csv").unlink()
    with pytest.raises(SpecError, match=r"specs/adam/methods.csv: file is missing"):
        load_spec(specs_copy)


def _sdtm_ct() -> pd.DataFrame:
    if not CT_TARBALL.exists():
        pytest.skip("CDISC CT reference not beside the project")
    with tarfile.open(CT_TARBALL) as tar:
        return pd.read_csv(tar.extractfile("SDTM Terminology.txt"), sep="\t", dtype=str, keep_default_na=False)


def _adam_ct(release: str) -> dict[tuple[str, str], str]:
    """(codelist code, term code) -> submission value, from the ADaM CT release the study cites."""
    return {(cl, code): value for cl, (_, terms) in adam_ct(release).items() for value, code in terms.items()}


def test_cdisc_codes_in_specs_are_the_published_ones(spec):
    ct = _sdtm_ct()
    sdtm_terms = {(r["Codelist Code"], r["Code"]): r["CDISC Submission Value"] for _, r in ct.iterrows()
                  if r["Codelist Code"]}
    extensible = {r["Code"]: r["Codelist Extensible (Yes/No)"] == "Yes" for _, r in ct.iterrows()
                  if not r["Codelist Code"]}
    release = spec.study["standards"]["adam_ct"]
    adam_terms = _adam_ct(release) if adam_ct_path(release).exists() else {}
    checked = 0
    for std in (spec.sdtm, spec.adam):
        for cl in std.codelists.values():
            if not cl.nci_code:
                assert cl.terminology != "CDISC/NCI" or not cl.terms, cl.id
                continue
            if cl.nci_code in extensible:
                assert cl.extensible == extensible[cl.nci_code], cl.id
            for term in cl.terms:
                if not term.nci_code:
                    assert cl.extensible, f"{cl.id}: {term.term} has no code but {cl.id} is not extensible"
                    continue
                published = sdtm_terms.get((cl.nci_code, term.nci_code), adam_terms.get((cl.nci_code, term.nci_code)))
                assert published == term.term, f"{std.name} {cl.id} {term.nci_code}: {term.term} != {published}"
                checked += 1
    assert checked > 100


def test_sponsor_defined_codelists_say_so(spec):
    for std in (spec.sdtm, spec.adam):
        for cl in std.codelists.values():
            if cl.terminology == "Sponsor":
                assert not cl.nci_code and not any(t.nci_code for t in cl.terms), cl.id


def _set_toml(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_pnfh_threshold_is_written_once_in_study_toml(specs_copy, spec):
    """The ADaM groups, the method, the comment and the TS text all quote study.toml's threshold."""
    cl = spec.adam.codelists["PNFHGR1"]
    assert cl.values == ("<=3700 pg/mL", ">3700 pg/mL")
    assert [t.decode for t in spec.adam.codelists["PNFHGR1N"].terms] == list(cl.values)
    assert "3700 pg/mL" in spec.adam.methods["MT.ADSL.PNFHGR1"].description
    assert spec.study["trial_summary"]["OUTMSEXP"] == [
        "Overall survival by baseline CSF phosphorylated neurofilament heavy chain (at or below vs above 3700 pg/mL)"]
    _set_toml(specs_copy / "study.toml", "pnfh_threshold = 3700.0", "pnfh_threshold = 2500.5")
    other = load_spec(specs_copy)
    assert other.adam.codelists["PNFHGR1"].values == ("<=2500.5 pg/mL", ">2500.5 pg/mL")
    assert "3700" not in other.adam.methods["MT.ADSL.PNFHGR1"].description
    assert "2500.5 pg/mL" in other.study["trial_summary"]["OUTMSEXP"][0]


def test_pnfh_groups_follow_the_codelist_at_the_threshold(spec):
    from cdisc_mirocals.adam.codes import derive_var_code, derive_var_group
    adsl = pd.DataFrame({"PNFHBL": [3699.0, 3700.0, 3700.5, None]})
    out = derive_var_group(adsl, spec.adam, source_var="PNFHBL", new_var="PNFHGR1", codelist="PNFHGR1")
    out = derive_var_code(out, spec.adam, source_var="PNFHGR1", new_var="PNFHGR1N", codelist="PNFHGR1N")
    assert out["PNFHGR1"].tolist()[:3] == ["<=3700 pg/mL", "<=3700 pg/mL", ">3700 pg/mL"]
    assert pd.isna(out["PNFHGR1"].iloc[3])
    assert out["PNFHGR1N"].tolist()[:3] == [1.0, 1.0, 2.0]


def test_an_unknown_placeholder_is_a_located_spec_error(specs_copy):
    _edit_csv(specs_copy / "adam" / "comments.csv", 3, "Description", "see {parameters.no_such_value}")
    with pytest.raises(SpecError) as info:
        load_spec(specs_copy)
    assert any(str(p).startswith("specs/adam/comments.csv:3, column Description")
               and "parameters.no_such_value is not one" in str(p) for p in info.value.problems)


def test_the_run_in_of_the_trial_visits_comes_from_study_toml(specs_copy, spine):
    from cdisc_mirocals.sdtm.context import Context
    from cdisc_mirocals.sdtm.tv import map_tv
    _set_toml(specs_copy / "study.toml", "runin_weeks = [12, 18]", "runin_weeks = [10, 16]")
    tv = map_tv(Context(spine.raw, load_spec(specs_copy)))
    assert tv.loc[tv["VISIT"] == "SCREENING", "TVSTRL"].item() == (
        "Start of the riluzole run-in, 10 to 16 weeks before randomisation")


def test_each_suppdm_qualifier_is_read_from_the_raw_form_that_collects_it(spec):
    from cdisc_mirocals.sdtm.suppdm import source_form
    assert {q: source_form(spec, q) for q in spec.sdtm.codelists["QNAM_DM"].values} == {
        "STRCNTRY": "RAND", "STRONSET": "RAND", "RANDNO": "RAND"}
