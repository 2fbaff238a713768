"""The findings domains LB, CP, QS, RE and VS, checked against the raw source for specific subjects."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.metadata import conform
from conftest import assert_passes_schema, map_one

DOMAINS = ("LB", "CP", "QS", "RE", "VS")
FORMS = {"LB": ("LAB", "CSF"), "CP": ("TREG",), "QS": ("ALSFRS",), "RE": ("SVC",), "VS": ("VS",)}


@pytest.fixture(scope="module")
def mapped(spine):
    """{domain: (context, conformed frame, mapped frame with _FORM/_LINE)}."""
    return {name: map_one(spine, name) for name in DOMAINS}


def _norm(s):
    return s.astype("string").str.strip().str.upper()


def _records(mapped, domain, form, line):
    """The conformed SDTM records of one raw record."""
    ctx, _, frame = mapped[domain]
    return conform(frame[(frame["_FORM"] == form) & (frame["_LINE"] == line)], ctx.spec.sdtm[domain])


def _randomised(raw_study, form):
    df = raw_study[form]
    return df[df["SUBJID"].str.strip().isin(raw_study["RAND"]["SUBJID"].str.strip())]


def _visitnum(spine, visit):
    tv = spine.datasets["TV"]
    return tv.loc[tv["VISIT"] == visit, "VISITNUM"].item()


@pytest.mark.parametrize("domain", DOMAINS)
def test_findings_domain_passes_schema_with_unique_keys_and_seq(mapped, spec, domain):
    ctx, frame, _ = mapped[domain]
    assert_passes_schema(frame, spec, domain)
    assert not ctx.ct_errors and not ctx.ct_notes and len(frame) > 0
    assert not frame.duplicated(list(spec.sdtm[domain].keys)).any()
    seq = frame.groupby("USUBJID")[f"{domain}SEQ"]
    assert (seq.min() == 1).all() and (seq.max() == seq.size()).all() and seq.apply(lambda s: s.is_unique).all()


def test_lb_alt_at_month_6_comes_from_the_lab_transfer(mapped, raw_study, spine):
    lab = _randomised(raw_study, "LAB")
    row = lab[(_norm(lab["LBTESTCD"]) == "ALT") & (_norm(lab["VISIT"]) == "MONTH 6") & lab["LBORRES"].notna()].iloc[0]
    rec = _records(mapped, "LB", "LAB", row["_LINE"]).iloc[0]
    assert rec["USUBJID"] == f"MIROCALS-{row['SUBJID'].strip()}"
    assert (rec["LBTESTCD"], rec["LBTEST"], rec["LBCAT"], rec["LBSPEC"]) == (
        "ALT", "Alanine Aminotransferase", "CHEMISTRY", "SERUM")
    assert float(rec["LBORRES"]) == row["LBORRES"] == rec["LBSTRESN"] and rec["LBSTRESC"] == rec["LBORRES"]
    assert rec["LBORRESU"] == row["LBORRESU"] == rec["LBSTRESU"] == "U/L"
    assert float(rec["LBORNRLO"]) == row["LBORNRLO"] == rec["LBSTNRLO"]
    assert float(rec["LBORNRHI"]) == row["LBORNRHI"] == rec["LBSTNRHI"]
    assert rec["LBDTC"] == row["LBDAT"] and rec["VISIT"] == "MONTH 6"
    assert rec["VISITNUM"] == _visitnum(spine, "MONTH 6") and rec["EPOCH"] == "TREATMENT"


def test_lb_messy_test_codes_and_british_category_map_to_terms(mapped, raw_study):
    lab = _randomised(raw_study, "LAB")
    messy = lab[lab["LBTESTCD"] != _norm(lab["LBTESTCD"])]
    assert len(messy) > 0
    frame = mapped["LB"][2].set_index(["_FORM", "_LINE"])
    got = frame.loc[[("LAB", line) for line in messy["_LINE"]]]
    assert (got["LBTESTCD"].to_numpy() == _norm(messy["LBTESTCD"]).to_numpy()).all()
    haem = lab[_norm(lab["LBCAT"]) == "HAEMATOLOGY"]
    cats = frame.loc[[("LAB", line) for line in haem["_LINE"]]]
    assert set(cats["LBCAT"]) == {"HEMATOLOGY"} and set(cats["LBSPEC"]) == {"BLOOD"}


def test_lb_not_done_sample_keeps_a_record_with_lbstat_and_no_result(mapped, raw_study):
    lab = _randomised(raw_study, "LAB")
    row = lab[_norm(lab["LBSTAT"]) == "NOT DONE"].iloc[0]
    rec = _records(mapped, "LB", "LAB", row["_LINE"]).iloc[0]
    assert rec["LBTESTCD"] == row["LBTESTCD"].strip().upper() and rec["LBSTAT"] == "NOT DONE"
    assert rec["LBORRES"] == rec["LBSTRESC"] == rec["LBORRESU"] == rec["LBSTRESU"] == rec["LBNRIND"] == ""
    assert np.isnan(rec["LBSTRESN"]) and rec["LBLOBXFL"] == ""


def test_every_lb_test_not_done_gives_its_reason_and_a_date(mapped, raw_study, spine):
    """SDTMIG 3.4 LB: LBREASND goes with LBSTAT 'NOT DONE'. The reason is collected (raw LAB.LBREASND,
    CSF.LPREASND); a lumbar puncture not done is dated at the visit it was planned for (COM.LB.DTC)."""
    _, lb, frame = mapped["LB"]
    not_done = lb[lb["LBSTAT"] == "NOT DONE"]
    assert len(not_done) > 50
    assert (not_done["LBREASND"] != "").all() and (not_done["LBDTC"] != "").all()
    assert (lb.loc[lb["LBSTAT"] == "", "LBREASND"] == "").all()
    lab = _randomised(raw_study, "LAB")
    row = lab[_norm(lab["LBSTAT"]) == "NOT DONE"].iloc[0]
    assert _records(mapped, "LB", "LAB", row["_LINE"]).iloc[0]["LBREASND"] == row["LBREASND"].strip()
    csf = _randomised(raw_study, "CSF")
    missed = csf[_norm(csf["LPDONE"]) == "NO"]
    sv = spine.datasets["SV"].set_index(["USUBJID", "VISIT"])["SVSTDTC"]
    for _, row in missed.iterrows():
        rec = _records(mapped, "LB", "CSF", row["_LINE"]).iloc[0]
        assert rec["LBREASND"] == row["LPREASND"].strip()
        assert rec["LBDTC"] == sv.loc[(f"MIROCALS-{row['SUBJID'].strip()}", row["VISIT"].strip().upper())]


def test_lb_nrind_compares_standard_result_with_standard_range(mapped):
    _, lb, _ = mapped["LB"]
    n, lo, hi = lb["LBSTRESN"], lb["LBSTNRLO"], lb["LBSTNRHI"]
    assert (lb.loc[n < lo, "LBNRIND"] == "LOW").all() and (lb.loc[n > hi, "LBNRIND"] == "HIGH").all()
    assert (lb.loc[(n >= lo) & (n <= hi), "LBNRIND"] == "NORMAL").all()
    assert (lb.loc[n.isna() | lo.isna(), "LBNRIND"] == "").all()
    assert {"LOW", "NORMAL", "HIGH"} <= set(lb["LBNRIND"])


def test_lb_csf_pnfh_is_in_ng_per_litre_and_a_missed_puncture_is_not_done(mapped, raw_study):
    csf = raw_study["CSF"]
    done = csf[csf["PNFH"].notna()].iloc[0]
    rec = _records(mapped, "LB", "CSF", done["_LINE"]).iloc[0]
    assert (rec["LBTESTCD"], rec["LBCAT"], rec["LBSPEC"]) == ("NFHP", "BIOMARKER", "CEREBROSPINAL FLUID")
    assert float(rec["LBORRES"]) == done["PNFH"] == rec["LBSTRESN"]
    assert rec["LBORRESU"] == rec["LBSTRESU"] == "ng/L" and rec["LBDTC"] == done["LPDAT"]
    assert rec["LBNRIND"] == "" and rec["LBSTAT"] == ""
    missed = csf[_norm(csf["LPDONE"]) == "NO"]
    assert len(missed) > 0
    recs = pd.concat([_records(mapped, "LB", "CSF", line) for line in missed["_LINE"]])
    assert len(recs) == len(missed) and (recs["LBSTAT"] == "NOT DONE").all() and (recs["LBORRES"] == "").all()


def test_lb_unscheduled_lab_takes_the_sv_visitnum_of_its_date(mapped, raw_study, spine):
    lab = _randomised(raw_study, "LAB")
    row = lab[_norm(lab["VISIT"]) == "UNSCHEDULED"].iloc[0]
    sv = spine.datasets["SV"]
    visit = sv[(sv["USUBJID"] == f"MIROCALS-{row['SUBJID'].strip()}") & (sv["SVSTDTC"] == row["LBDAT"])].iloc[0]
    rec = _records(mapped, "LB", "LAB", row["_LINE"]).iloc[0]
    assert visit["VISIT"].startswith("UNSCHEDULED") and visit["VISITNUM"] % 1 > 0
    assert rec["VISITNUM"] == visit["VISITNUM"] and rec["VISIT"] == visit["VISIT"]


def test_out_of_window_visit_keeps_its_nominal_visit(mapped, spec, spine):
    _, qs, _ = mapped["QS"]
    months = {v["visit"]: v for v in spec.study["schedule"]["visits"] if v["visit"].startswith("MONTH")}
    qs = qs[qs["VISIT"].isin(months)]
    day, width = (qs["VISIT"].map(lambda v: months[v][k]) for k in ("day", "window"))
    late = qs[(qs["QSDY"] - day).abs() > width]
    assert len(late) > 0
    tv = spine.datasets["TV"].set_index("VISIT")["VISITNUM"]
    assert (late["VISITNUM"].to_numpy() == tv.loc[late["VISIT"]].to_numpy()).all()


def test_cp_marker_string_is_the_value_level_term_of_each_test(mapped, spec):
    """CPMRKSTR is Expected, and the value-level metadata makes it mandatory per CPTESTCD."""
    cp = mapped["CP"][1]
    for vlm in (v for v in spec.sdtm.valuelevel if v.dataset == "CP" and v.variable == "CPMRKSTR"):
        assert vlm.mandatory and vlm.codelist
        test = vlm.where[0].values[0]
        values = set(cp.loc[cp["CPTESTCD"] == test, "CPMRKSTR"])
        assert values == set(spec.sdtm.codelists[vlm.codelist].values) and "" not in values, test


def test_cp_gives_a_count_and_a_percentage_per_treg_sample(mapped, raw_study):
    treg = raw_study["TREG"]
    row = treg[_norm(treg["TRGTPT"]) == "END OF CYCLE"].iloc[0]
    recs = _records(mapped, "CP", "TREG", row["_LINE"]).set_index("CPTESTCD")
    assert sorted(recs.index) == ["TLHRTLH", "TLR", "TLRLY"]
    assert recs.loc["TLR", "CPSTRESN"] == row["TREGCNT"] and recs.loc["TLR", "CPORRESU"] == "10^6/L"
    assert recs.loc["TLHRTLH", "CPSTRESN"] == row["TREGPCT"] and recs.loc["TLHRTLH", "CPSTRESU"] == "%"
    assert recs.loc["TLRLY", "CPSTRESN"] == row["TREGLY"] and recs.loc["TLRLY", "CPSTRESU"] == "%"
    assert (recs["CPTPT"] == "END OF CYCLE").all() and (recs["CPTPTNUM"] == 2).all()
    assert (recs["CPMETHOD"] == "FLOW CYTOMETRY").all() and (recs["CPSPEC"] == "BLOOD").all()
    assert (recs["CPDTC"] == row["TRGDAT"]).all() and (recs["CPTPTREF"] == "CYCLE START").all()


def test_cp_tlrly_is_the_treg_percentage_of_lymphocytes_for_specific_subjects(mapped, raw_study):
    treg = _randomised(raw_study, "TREG")
    _, cp, _ = mapped["CP"]
    subjects = treg["SUBJID"].str.strip().drop_duplicates().iloc[[0, 7, -1]]
    for subj in subjects:
        raw = treg[(treg["SUBJID"].str.strip() == subj) & treg["TREGLY"].notna()]
        want = sorted(zip(_norm(raw["VISIT"]), _norm(raw["TRGTPT"]), raw["TRGDAT"], raw["TREGLY"]))
        recs = cp[(cp["USUBJID"] == f"MIROCALS-{subj}") & (cp["CPTESTCD"] == "TLRLY")]
        got = sorted(zip(recs["VISIT"], recs["CPTPT"], recs["CPDTC"], recs["CPSTRESN"]))
        assert len(want) > 0 and got == want, subj
        assert (recs["CPTEST"] == "TLym Reg/Lym").all() and (recs["CPORRESU"] == "%").all()
        assert (recs["CPSPEC"] == "BLOOD").all() and (recs["CPORRES"].astype(float) == recs["CPSTRESN"]).all()
    # Treg % of lymphocytes is below Treg % of CD4+ T cells on every sample.
    ly = cp[cp["CPTESTCD"] == "TLRLY"].set_index(["USUBJID", "VISITNUM", "CPTPTNUM"])["CPSTRESN"]
    cd4 = cp[cp["CPTESTCD"] == "TLHRTLH"].set_index(["USUBJID", "VISITNUM", "CPTPTNUM"])["CPSTRESN"]
    assert ly.index.equals(cd4.index) and (ly < cd4).all()


def test_every_treg_row_is_mapped_with_one_record_per_collected_result(mapped, raw_study):
    ctx, _, frame = mapped["CP"]
    treg = raw_study["TREG"]
    cp = frame[frame["_FORM"] == "TREG"]
    excluded = {line for e in ctx.exclusions for line in e.loc[e["FORM"] == "TREG", "LINE"]}
    assert set(treg["_LINE"]) == set(cp["_LINE"]) | excluded and not set(cp["_LINE"]) & excluded
    tests = {"TREGCNT": "TLR", "TREGPCT": "TLHRTLH", "TREGLY": "TLRLY"}
    mapped_rows = treg[treg["_LINE"].isin(set(cp["_LINE"]))].set_index("_LINE")
    expected = sorted((line, code) for col, code in tests.items() for line in mapped_rows.index[mapped_rows[col].notna()])
    assert sorted(zip(cp["_LINE"], cp["CPTESTCD"])) == expected


def test_cp_blank_tregly_gives_no_tlrly_record_and_keeps_the_others(spine, raw_study):
    treg = raw_study["TREG"].copy()
    line = _randomised(raw_study, "TREG")["_LINE"].iloc[3]
    treg.loc[treg["_LINE"] == line, "TREGLY"] = np.nan
    raw = dataclasses.replace(raw_study, forms={**raw_study.forms, "TREG": treg})
    ctx = dataclasses.replace(spine, raw=raw, exclusions=[], ct_errors=[], ct_notes=[])
    _, _, frame = map_one(ctx, "CP")
    assert sorted(frame.loc[frame["_LINE"] == line, "CPTESTCD"]) == ["TLHRTLH", "TLR"]


def _day_one_unless_never_dosed(records, dy, mapped) -> bool:
    """--DY is 1 at the baseline visit; a subject never dosed has no RFSTDTC (SD1373) and so no study day."""
    dm = next(iter(mapped.values()))[0].datasets["DM"].set_index("USUBJID")
    no_reference = records["USUBJID"].map(dm["RFSTDTC"]).fillna("") == ""
    return bool(records.loc[no_reference, "USUBJID"].nunique() <= 1 and (records.loc[~no_reference, dy] == 1).all()
                and records.loc[no_reference, dy].isna().all())


def test_cp_only_the_pre_cycle_baseline_sample_is_run_in(mapped):
    _, cp, _ = mapped["CP"]
    base = cp[cp["VISIT"] == "BASELINE"]
    pre, post = base[base["CPTPTNUM"] == 1], base[base["CPTPTNUM"] == 2]
    assert (pre["EPOCH"] == "RUN-IN").all() and _day_one_unless_never_dosed(pre, "CPDY", mapped)
    assert len(post) > 0 and (post["EPOCH"] == "TREATMENT").all() and (post["CPDY"] > 1).all()
    assert (post["CPLOBXFL"] == "").all()


def test_qs_items_and_total_come_from_the_crf(mapped, raw_study):
    als = _randomised(raw_study, "ALSFRS")
    items = [f"ALSFRS{i:02d}" for i in range(1, 13)]
    row = als[als[items + ["ALSFRSTO"]].notna().all(axis=1)].iloc[5]
    recs = _records(mapped, "QS", "ALSFRS", row["_LINE"]).set_index("QSTESTCD")
    assert sorted(recs.index) == sorted(items + ["ALSFRSTO"])
    for code in items + ["ALSFRSTO"]:
        assert recs.loc[code, "QSORRES"] == str(row[code]) == recs.loc[code, "QSSTRESC"]
        assert recs.loc[code, "QSSTRESN"] == row[code]
    assert recs.loc["ALSFRS08", "QSTEST"] == "ALSFRS-R-Walking" and (recs["QSCAT"] == "ALSFRS-R").all()
    assert recs.loc["ALSFRSTO", "QSSTRESN"] == recs.loc[items, "QSSTRESN"].sum()


def test_qs_missing_item_gives_no_record_and_the_others_are_kept(mapped, raw_study):
    als = _randomised(raw_study, "ALSFRS")
    items = [f"ALSFRS{i:02d}" for i in range(1, 13)]
    row = als[als[items].isna().any(axis=1)].iloc[0]
    present = [c for c in items + ["ALSFRSTO"] if pd.notna(row[c])]
    recs = _records(mapped, "QS", "ALSFRS", row["_LINE"])
    assert sorted(recs["QSTESTCD"]) == sorted(present) and len(present) < 13


def test_qs_total_equals_the_sum_of_items_when_all_are_present(mapped):
    _, qs, _ = mapped["QS"]
    wide = qs.pivot_table(index=["USUBJID", "VISITNUM"], columns="QSTESTCD", values="QSSTRESN")
    items = [f"ALSFRS{i:02d}" for i in range(1, 13)]
    complete = wide[wide[items].notna().all(axis=1)]
    assert len(complete) > 0 and (complete[items].sum(axis=1) == complete["ALSFRSTO"]).all()


def test_re_svc_in_litres_and_percent_predicted(mapped, raw_study):
    svc = _randomised(raw_study, "SVC")
    row = svc[svc["SVCL"].notna() & (_norm(svc["VISIT"]) == "MONTH 4")].iloc[0]
    recs = _records(mapped, "RE", "SVC", row["_LINE"]).set_index("RETESTCD")
    assert recs.loc["SVC", "RESTRESN"] == row["SVCL"] and recs.loc["SVC", "REORRESU"] == "L"
    assert recs.loc["SVCPP", "RESTRESN"] == row["SVCPP"] and recs.loc["SVCPP", "RESTRESU"] == "%"
    assert (recs["REMETHOD"] == "SPIROMETRY").all() and (recs["REDTC"] == row["REDAT"]).all()


def test_vs_measurements_and_bmi_from_the_screening_height(mapped, raw_study):
    vs_raw = _randomised(raw_study, "VS")
    messy = vs_raw[(vs_raw["VISIT"] != vs_raw["VISIT"].str.strip()) & vs_raw["WEIGHT"].notna()
                   & (_norm(vs_raw["VISIT"]) != "UNSCHEDULED")].iloc[0]
    subj = messy["SUBJID"].strip()
    screening = vs_raw[(vs_raw["SUBJID"].str.strip() == subj) & (_norm(vs_raw["VISIT"]) == "SCREENING")].iloc[0]
    recs = _records(mapped, "VS", "VS", messy["_LINE"]).set_index("VSTESTCD")
    assert (recs["VISIT"] == messy["VISIT"].strip().upper()).all()
    assert float(recs.loc["WEIGHT", "VSORRES"]) == messy["WEIGHT"] and recs.loc["WEIGHT", "VSORRESU"] == "kg"
    assert recs.loc["SYSBP", "VSSTRESN"] == messy["SYSBP"] and recs.loc["SYSBP", "VSSTRESU"] == "mmHg"
    assert "HEIGHT" not in recs.index and recs.loc["WEIGHT", "VSDRVFL"] == ""
    bmi = recs.loc["BMI"]
    assert bmi["VSSTRESN"] == round(messy["WEIGHT"] / (screening["HEIGHT"] / 100) ** 2, 1)
    assert bmi["VSDRVFL"] == "Y" and bmi["VSORRES"] == "" and bmi["VSSTRESU"] == "kg/m2"


@pytest.mark.parametrize("domain", DOMAINS)
def test_baseline_visit_records_are_pre_dose_run_in_on_day_1(mapped, domain):
    _, frame, _ = mapped[domain]
    base = frame[(frame["VISIT"] == "BASELINE") & (frame[f"{domain}DTC"] != "")]
    if domain == "CP":
        base = base[base["CPTPTNUM"] == 1]
    assert len(base) > 0 and (base["EPOCH"] == "RUN-IN").all()
    assert _day_one_unless_never_dosed(base, f"{domain}DY", mapped)


# Consent on the screening day gives a SCRN element that lasts no day; pre-dose screening findings still belong to it.


def _screening_visit_records(mapped, raw_study, domain):
    """The SCREENING-visit records of `domain`, their subjects' screening day, and whether consent was given that day."""
    _, frame, _ = mapped[domain]
    enrol = raw_study["ENROL"].assign(SUBJID=lambda d: d["SUBJID"].str.strip()).set_index("SUBJID")
    records = frame[frame["VISIT"] == "SCREENING"]
    subj = records["USUBJID"].str.split("-", n=1).str[1]
    return records, subj.map(enrol["SCRNDAT"]), subj.map(enrol["CONSDAT"]) == subj.map(enrol["SCRNDAT"])


@pytest.mark.parametrize("domain", DOMAINS)
def test_screening_visit_records_are_pre_dose_screening(mapped, raw_study, domain):
    # The run-in starts with the first riluzole dose at the screening visit, after its assessments (MT.EPOCH).
    records, screening_day, consent_that_day = _screening_visit_records(mapped, raw_study, domain)
    assert len(records) > 0 or domain == "CP"  # no Treg sample at screening
    assert (records[f"{domain}DTC"] == screening_day).all()
    assert (records.loc[~consent_that_day, "EPOCH"] == "SCREENING").all()


def test_screening_visit_records_are_screening_also_when_consent_was_given_that_day(mapped, raw_study):
    for domain in ("LB", "QS", "RE", "VS"):
        records, _, consent_that_day = _screening_visit_records(mapped, raw_study, domain)
        assert consent_that_day.any(), domain
        assert (records.loc[consent_that_day, "EPOCH"] == "SCREENING").all(), domain


@pytest.mark.parametrize("domain", DOMAINS)
def test_lobxfl_flags_the_last_pre_dose_result_once_per_subject_and_test(mapped, spine, domain):
    _, frame, _ = mapped[domain]
    by = ["USUBJID", f"{domain}TESTCD", *{"LB": ["LBSPEC"], "CP": ["CPSPEC", "CPTPTNUM"]}.get(domain, [])]
    dm = spine.datasets["DM"].set_index("USUBJID")
    first_dose = pd.to_datetime(frame["USUBJID"].map(dm["RFXSTDTC"]))
    date = pd.to_datetime(frame[f"{domain}DTC"], errors="coerce")
    eligible = frame[(date <= first_dose) & (frame[f"{domain}STRESC"] != "")]
    expected = eligible.assign(_d=date).sort_values("_d").groupby(by).tail(1).index
    flagged = frame.index[frame[f"{domain}LOBXFL"] == "Y"]
    assert len(flagged) > 0 and sorted(flagged) == sorted(expected)
    assert not frame.loc[flagged].duplicated(by).any()
    assert (frame.loc[flagged, "USUBJID"].map(dm["RFXSTDTC"]).notna()).all()


def test_every_raw_record_of_the_findings_forms_is_mapped_or_excluded(mapped, raw_study):
    for domain, forms in FORMS.items():
        ctx, _, frame = mapped[domain]
        excluded = pd.concat(ctx.exclusions) if ctx.exclusions else pd.DataFrame(columns=["FORM", "LINE", "REASON"])
        for form in forms:
            lines = set(raw_study[form]["_LINE"])
            done = set(frame.loc[frame["_FORM"] == form, "_LINE"])
            out = excluded[excluded["FORM"] == form]
            assert not done & set(out["LINE"]), form
            assert lines == done | set(out["LINE"]), form
            assert out["REASON"].str.len().gt(0).all()
    ctx = mapped["RE"][0]
    reasons = pd.concat(ctx.exclusions).groupby("FORM")["REASON"].unique()
    assert any("blank" in r for r in reasons["SVC"]) and any("screen failure" in r for r in reasons["SVC"])


def test_lb_result_in_a_non_standard_unit_is_a_data_error(spine, raw_study):
    lab = raw_study["LAB"].copy()
    line = lab.loc[(_norm(lab["LBTESTCD"]) == "ALT") & lab["LBORRES"].notna(), "_LINE"].iloc[0]
    lab.loc[lab["_LINE"] == line, "LBORRESU"] = "umol/L"
    raw = dataclasses.replace(raw_study, forms={**raw_study.forms, "LAB": lab})
    ctx = dataclasses.replace(spine, raw=raw, exclusions=[], ct_errors=[], ct_notes=[])
    ctx, _, _ = map_one(ctx, "LB")
    assert [(p.line, p.column, p.value) for p in ctx.ct_errors] == [(line, "LBORRESU", "umol/L")]
