"""SUPPMH: site of onset and El Escorial category qualify the ALS DIAGNOSIS record of MH, checked
against the raw ENROL form for specific subjects."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.sdtm import mapping_order
from conftest import assert_passes_schema, map_one

DIAGNOSIS = {"MHCAT": "PRIMARY DIAGNOSIS", "MHEVDTYP": "DIAGNOSIS"}


def _map(spine):
    """MH then SUPPMH on the same context: (context, conformed MH, conformed SUPPMH, mapped SUPPMH)."""
    ctx, mh, _ = map_one(spine, "MH")
    ctx, supp, frame = map_one(ctx, "SUPPMH")
    return ctx, mh, supp, frame


@pytest.fixture(scope="module")
def mapped(spine):
    return _map(spine)


def _text(values: pd.Series) -> pd.Series:
    """Raw CRF text normalised as the mappers do: surrounding and repeated blanks dropped, upper case."""
    return values.astype("string").str.split().str.join(" ").str.upper()


def _randomised(raw_study) -> pd.DataFrame:
    enrol = raw_study["ENROL"]
    return enrol[enrol["SUBJID"].str.strip().isin(raw_study["RAND"]["SUBJID"].str.strip())]


def test_suppmh_is_mapped_right_after_mh(spec):
    order = mapping_order(spec)
    assert order.index("SUPPMH") == order.index("MH") + 1


def test_suppmh_passes_schema_with_unique_keys(mapped, spec):
    ctx, _, supp, _ = mapped
    assert_passes_schema(supp, spec, "SUPPMH")
    assert not ctx.ct_errors and not ctx.ct_notes and len(supp) > 0
    assert not supp.duplicated(list(spec.sdtm["SUPPMH"].keys)).any()
    assert (supp["RDOMAIN"] == "MH").all() and (supp["IDVAR"] == "MHSEQ").all()
    assert (supp["QORIG"] == "Collected").all() and (supp["QEVAL"] == "").all()
    assert set(supp["QNAM"]) == {"ELESCAT", "ONSETSIT"}


@pytest.mark.parametrize("qnam", ["ELESCAT", "ONSETSIT"])
def test_one_record_per_randomised_subject_and_none_for_screen_failures(mapped, raw_study, qnam):
    _, _, supp, _ = mapped
    recs = supp[supp["QNAM"] == qnam]
    randomised = "MIROCALS-" + _randomised(raw_study)["SUBJID"].str.strip()
    assert len(recs) == len(randomised) == recs["USUBJID"].nunique()
    assert set(recs["USUBJID"]) == set(randomised)
    screen_failures = set("MIROCALS-" + raw_study["ENROL"]["SUBJID"].str.strip()) - set(randomised)
    assert screen_failures and not screen_failures & set(supp["USUBJID"])


def test_idvarval_points_at_the_subjects_als_diagnosis_record(mapped):
    _, mh, supp, _ = mapped
    seq = mh.assign(IDVARVAL=mh["MHSEQ"].astype(int).astype(str)).set_index(["USUBJID", "IDVARVAL"])
    assert seq.index.is_unique
    target = seq.reindex(pd.MultiIndex.from_frame(supp[["USUBJID", "IDVARVAL"]]))
    assert target["MHTERM"].notna().all()  # an existing MH record ...
    for var, value in DIAGNOSIS.items():  # ... that is the ALS DIAGNOSIS record
        assert (target[var] == value).all(), var
    assert (target["MHTERM"] == "AMYOTROPHIC LATERAL SCLEROSIS").all()
    # One DIAGNOSIS record per subject, and some subjects' diagnosis is not their first MH record.
    diag = mh[(mh["MHCAT"] == DIAGNOSIS["MHCAT"]) & (mh["MHEVDTYP"] == DIAGNOSIS["MHEVDTYP"])]
    assert not diag["USUBJID"].duplicated().any() and (diag["MHSEQ"] > 1).any()
    assert sorted(supp.loc[supp["QNAM"] == "ELESCAT", "IDVARVAL"].astype(int)) == sorted(diag["MHSEQ"].astype(int))


def test_qval_is_the_raw_enrolment_value_for_specific_subjects(mapped, raw_study):
    _, _, supp, frame = mapped
    enrol = _randomised(raw_study)
    # A subject with a stray-space or odd-case site of onset, one with a laboratory-supported category.
    messy = enrol[enrol["ONSETSIT"] != enrol["ONSETSIT"].str.strip().str.capitalize()].iloc[0]
    lab = enrol[_text(enrol["ELESCAT"]) == "PROBABLE LABORATORY-SUPPORTED"].iloc[0]
    for row in (messy, lab, enrol.iloc[0], enrol.iloc[-1]):
        usubjid = f"MIROCALS-{row['SUBJID'].strip()}"
        recs = supp[supp["USUBJID"] == usubjid].set_index("QNAM")
        assert recs.loc["ELESCAT", "QVAL"] == " ".join(row["ELESCAT"].split()).upper()
        assert recs.loc["ONSETSIT", "QVAL"] == row["ONSETSIT"].strip().upper()
        assert recs.loc["ELESCAT", "QLABEL"] == "El Escorial Category"
        assert recs.loc["ONSETSIT", "QLABEL"] == "Site of Onset"
        # Traceability: both qualifiers come from the subject's ENROL row.
        src = frame[frame["USUBJID"] == usubjid]
        assert (src["_FORM"] == "ENROL").all() and (src["_LINE"] == row["_LINE"]).all()
    # Every record against the raw form at once.
    raw = dict(zip("MIROCALS-" + enrol["SUBJID"].str.strip(), _text(enrol["ELESCAT"])))
    ele = supp[supp["QNAM"] == "ELESCAT"]
    assert (ele["QVAL"] == ele["USUBJID"].map(raw)).all()


def test_elescat_and_onsetsit_have_one_home_in_suppmh(mapped, spine, spec):
    """The ALS characteristics qualify the ALS diagnosis record (SUPPMH) and are no longer repeated in SUPPDM,
    which keeps the randomisation strata and number (COM.SUPPDM, COM.SUPPMH)."""
    _, _, supp, _ = mapped
    _, suppdm, _ = map_one(spine, "SUPPDM")
    assert set(suppdm["QNAM"]) == {"STRCNTRY", "STRONSET", "RANDNO"} == set(spec.sdtm.codelists["QNAM_DM"].values)
    assert set(supp["QNAM"]) == {"ELESCAT", "ONSETSIT"}
    assert not {v.where[0].values[0] for v in spec.sdtm.valuelevel if v.dataset == "SUPPDM"} & set(supp["QNAM"])


def test_blank_elescat_gives_no_record_and_an_unknown_one_is_a_data_error(spine, raw_study):
    enrol = raw_study["ENROL"].copy()
    rows = _randomised(raw_study)
    blank, wrong = rows["_LINE"].iloc[2], rows["_LINE"].iloc[4]
    enrol.loc[enrol["_LINE"] == blank, "ELESCAT"] = np.nan
    enrol.loc[enrol["_LINE"] == wrong, "ELESCAT"] = "Suspected"
    raw = dataclasses.replace(raw_study, forms={**raw_study.forms, "ENROL": enrol})
    ctx = dataclasses.replace(spine, raw=raw, exclusions=[], ct_errors=[], ct_notes=[])
    ctx, _, supp, frame = _map(ctx)
    assert sorted(frame.loc[frame["_LINE"] == blank, "QNAM"]) == ["ONSETSIT"]
    assert [(p.line, p.column, p.value) for p in ctx.ct_errors] == [(wrong, "ELESCAT", "Suspected")]
