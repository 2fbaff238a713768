"""The raw edit checks of check-raw: each impossible date or cross-form contradiction (issue 12's
"accepted silently" list, and issue 9's birth after consent) is an error naming file, line, column and
value, as an EDC query would; the default simulated study raises none."""

import csv
import datetime as dt
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from cdisc_mirocals.cli import main
from cdisc_mirocals.errors import Problem, RawDataError
from cdisc_mirocals.raw import LINE, RawStudy, read_raw
from cdisc_mirocals.validate.edit_checks import edit_check_problems, iso_to_raw

TODAY = dt.date(2024, 6, 1)


def test_the_default_study_passes_every_edit_check(raw_study):
    assert edit_check_problems(raw_study, TODAY) == []


def _copy(raw_study, **forms) -> RawStudy:
    return RawStudy(raw_study.path, {**raw_study.forms, **forms}, raw_study.spec)


def _dead(raw_study):
    """A subject with a death report and the records to play with: (SUBJID, death date, death record)."""
    death = raw_study["DEATH"].iloc[0]
    return death["SUBJID"], death["DTHDAT"], death


def _day_after(iso: str, days: int = 1) -> str:
    return (pd.Timestamp(iso) + pd.Timedelta(days=days)).strftime("%Y-%m-%d")


def _set(frame: pd.DataFrame, row, column: str, value) -> pd.DataFrame:
    out = frame.copy()
    out.loc[row, column] = value
    return out


def _only(problems, rule):
    assert problems and all(p.expected.startswith(rule) for p in problems), problems
    return problems


def test_ae_and_visit_after_death(raw_study):
    subject, died, _ = _dead(raw_study)
    visit = raw_study["VISIT"]
    row = visit.index[visit["SUBJID"] == subject][0]
    found = edit_check_problems(_copy(raw_study, VISIT=_set(visit, row, "VISDAT", _day_after(died, 30))), TODAY)
    assert found == [Problem("visit.csv", int(visit.loc[row, LINE]), "VISDAT", iso_to_raw(pd.Series([_day_after(died, 30)]))[0],
                             f"MC0104 a date on or before the death on {iso_to_raw(pd.Series([died]))[0]} (death.csv)")]
    ae = raw_study["AE"]
    rows = ae.index[ae["SUBJID"] == subject]
    if len(rows):
        changed = _set(ae, rows[0], "AESTDAT", _day_after(died))
        changed = _set(changed, rows[0], "AEENDAT", pd.NA)
        found = _only(edit_check_problems(_copy(raw_study, AE=changed), TODAY), "MC0104")
        assert [(p.file, p.line, p.column) for p in found] == [("ae.csv", int(ae.loc[rows[0], LINE]), "AESTDAT")]


def test_the_death_day_itself_is_not_after_death(raw_study):
    subject, died, _ = _dead(raw_study)
    visit = raw_study["VISIT"]
    row = visit.index[visit["SUBJID"] == subject][-1]
    assert edit_check_problems(_copy(raw_study, VISIT=_set(visit, row, "VISDAT", died)), TODAY) == []


def test_death_before_randomisation(raw_study):
    subject, _, death = _dead(raw_study)
    randomised = raw_study["RAND"].set_index("SUBJID").loc[subject, "RANDDAT"]
    deaths = _set(raw_study["DEATH"], death.name, "DTHDAT", _day_after(randomised, -1))
    found = edit_check_problems(_copy(raw_study, DEATH=deaths), TODAY)
    assert [(p.file, p.line, p.column, p.expected[:6]) for p in found if p.expected.startswith("MC0105")] == \
        [("death.csv", int(death[LINE]), "DTHDAT", "MC0105")]


def test_end_of_study_death_without_a_death_report(raw_study):
    eos_death = raw_study["EOS"]["EOSSTAT"].astype("string").str.casefold().eq("death").fillna(False)
    subject = raw_study["EOS"].loc[eos_death, "SUBJID"].iloc[0]
    death = raw_study["DEATH"].set_index("SUBJID", drop=False).loc[subject]
    death.name = raw_study["DEATH"].index[raw_study["DEATH"]["SUBJID"] == subject][0]
    deaths = raw_study["DEATH"].drop(index=death.name)
    eos = raw_study["EOS"].set_index("SUBJID")
    found = _only(edit_check_problems(_copy(raw_study, DEATH=deaths), TODAY), "MC0109")
    says_death = [c for c in ("EOSSTAT", "EOTREAS") if str(eos.loc[subject, c]).strip().casefold() == "death"]
    assert sorted(p.column for p in found) == sorted(says_death) and {p.line for p in found} == {int(eos.loc[subject, LINE])}


def test_an_empty_death_form_while_eos_says_death(raw_study):
    found = _only(edit_check_problems(_copy(raw_study, DEATH=raw_study["DEATH"].iloc[0:0]), TODAY), "MC0109")
    eos = raw_study["EOS"]

    def says_death(column):
        return eos[column].astype("string").str.strip().str.casefold().eq("death").fillna(False)

    expected = {(int(line), column) for column in ("EOSSTAT", "EOTREAS") for line in eos.loc[says_death(column), LINE]}
    assert {(p.line, p.column) for p in found} == expected and len(found) == len(expected)
    # every subject whose end of study or of treatment is death is named, each on his own EOS line
    died = eos.loc[says_death("EOSSTAT") | says_death("EOTREAS"), "SUBJID"]
    assert len({p.line for p in found}) == len(died) == died.nunique() > 0


def test_end_before_start(raw_study):
    ae = raw_study["AE"]
    row = ae.index[ae["AEENDAT"].notna() & (ae["AEENDAT"].str.len() == 10)][0]
    back = (pd.Timestamp(ae.loc[row, "AESTDAT"][:10]) - pd.DateOffset(years=17)).strftime("%Y-%m-%d")
    found = edit_check_problems(_copy(raw_study, AE=_set(ae, row, "AEENDAT", back)), TODAY)
    assert [(p.file, p.line, p.column, p.value, p.expected[:6]) for p in found] == \
        [("ae.csv", int(ae.loc[row, LINE]), "AEENDAT", iso_to_raw(pd.Series([back]))[0], "SD0013")]


@pytest.mark.parametrize("date, rule", [("2030-03-12", "MC0101"), ("1818-03-12", "MC0102")])
def test_dates_in_the_future_or_in_1800(raw_study, date, rule):
    visit = raw_study["VISIT"]
    found = edit_check_problems(_copy(raw_study, VISIT=_set(visit, 5, "VISDAT", date)), TODAY)
    assert (("visit.csv", int(visit.loc[5, LINE]), "VISDAT", rule)) in [(p.file, p.line, p.column, p.expected[:6])
                                                                         for p in found]


def test_visit_before_consent(raw_study):
    visit = raw_study["VISIT"]
    subject = visit.loc[0, "SUBJID"]
    consent = raw_study["ENROL"].set_index("SUBJID").loc[subject, "CONSDAT"]
    found = edit_check_problems(_copy(raw_study, VISIT=_set(visit, 0, "VISDAT", _day_after(consent, -3))), TODAY)
    assert [(p.line, p.column, p.expected[:6]) for p in found] == [(int(visit.loc[0, LINE]), "VISDAT", "MC0106")]


def test_birth_after_consent(raw_study):
    enrol = raw_study["ENROL"]
    found = edit_check_problems(_copy(raw_study, ENROL=_set(enrol, 0, "BRTHDAT", "2018")), TODAY)
    assert [(p.file, p.line, p.column, p.value, p.expected[:6]) for p in found] == \
        [("enrol.csv", int(enrol.loc[0, LINE]), "BRTHDAT", "UN-UNK-2018", "MC0103")]


def test_iso_to_raw():
    assert iso_to_raw(pd.Series(["2018-03-05", "2018-03", "2018", None])).tolist() == \
        ["05-MAR-2018", "UN-MAR-2018", "UN-UNK-2018", ""]


def _edit(folder, file, line, column, value):
    with (folder / file).open(newline="") as fh:
        rows = list(csv.reader(fh))
    rows[line - 1][rows[0].index(column)] = value
    with (folder / file).open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def test_check_raw_and_read_raw_refuse_impossible_data(default_raw_dir, tmp_path, spec):
    folder = tmp_path / "raw"
    shutil.copytree(default_raw_dir, folder)
    _edit(folder, "enrol.csv", 2, "BRTHDAT", "12-MAR-2030")
    with pytest.raises(RawDataError) as exc:
        read_raw(folder, spec)
    assert [p.expected[:6] for p in exc.value.problems] == ["MC0101", "MC0103"]
    result = CliRunner().invoke(main, ["check-raw", str(folder)])
    assert result.exit_code == 1
    assert "enrol.csv:2, column BRTHDAT, value '12-MAR-2030': MC0103 a birth date before informed consent" in result.output


def test_one_run_lists_value_errors_and_edit_checks_together(default_raw_dir, tmp_path, spec):
    """A badly written date in one form no longer hides the cross-form edit checks of the others until it
    is fixed: check-raw reports both in one run, and the bad value itself is simply missing to the edit
    checks (it raises no second, confusing problem)."""
    folder = tmp_path / "raw"
    shutil.copytree(default_raw_dir, folder)
    _edit(folder, "visit.csv", 3, "VISDAT", "2018/03/05")  # a format error
    _edit(folder, "enrol.csv", 2, "BRTHDAT", "12-MAR-2030")  # two edit checks: future, birth after consent
    with pytest.raises(RawDataError) as exc:
        read_raw(folder, spec)
    found = [(p.file, p.line, p.column, p.expected[:6]) for p in exc.value.problems]
    assert found == [("enrol.csv", 2, "BRTHDAT", "MC0101"), ("enrol.csv", 2, "BRTHDAT", "MC0103"),
                     ("visit.csv", 3, "VISDAT", "a date")]


NO_SUCH_DAY = "a date that exists: the month has no such day (e.g. 31-FEB-2018, 29-FEB-2019)"
BADLY_WRITTEN = "a date as DD-MON-YYYY, e.g. 05-MAR-2018"


@pytest.mark.parametrize("value, says", [("31-FEB-2018", NO_SUCH_DAY), ("29-FEB-2019", NO_SUCH_DAY),
                                         ("31-APR-2018", NO_SUCH_DAY), ("2018-02-28", BADLY_WRITTEN),
                                         ("31-FOO-2018", BADLY_WRITTEN)])
def test_a_date_that_does_not_exist_is_told_from_a_badly_written_one(default_raw_dir, tmp_path, spec, value, says):
    folder = tmp_path / "raw"
    shutil.copytree(default_raw_dir, folder)
    _edit(folder, "visit.csv", 3, "VISDAT", value)
    with pytest.raises(RawDataError) as exc:
        read_raw(folder, spec)
    assert [str(p) for p in exc.value.problems] == [f"visit.csv:3, column VISDAT, value {value!r}: {says}"]
