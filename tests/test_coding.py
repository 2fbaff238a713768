"""Coding as a submission carries it (issue 10): MedDRA on every AE level, WHODrug name and ATC class
on every medication, the dictionary versions where define.xml reads them, and SDTM's treatment-emergent
flag SUPPAE.AETRTEM agreeing with ADAE.TRTEMFL."""

import pandas as pd
import pytest

from cdisc_mirocals.simulate.catalogue import AE_TERMS, FATAL_AE, RUNIN_TERMS, meddra

from conftest import REFERENCE

LEVELS = [("AELLT", "AELLTCD"), ("AEDECOD", "AEPTCD"), ("AEHLT", "AEHLTCD"), ("AEHLGT", "AEHLGTCD"),
          ("AEBODSYS", "AEBDSYCD"), ("AESOC", "AESOCCD")]


def test_every_ae_record_has_every_meddra_level_and_code(sdtm):
    """P21 SD1449 (FDA TCG 6.3.1.1) and SD1461: no coded variable is missing on any record."""
    ae = sdtm["AE"]
    assert len(ae) > 500
    for name, code in LEVELS:
        assert ae[name].notna().all() and (ae[name] != "").all(), name
        assert ae[code].notna().all(), code
        assert ae[code].between(10_000_000, 99_999_999).all(), code


def test_each_meddra_name_has_one_code_and_back(sdtm):
    """P21 SD1287/SD1288 for the PT, and the same one-to-one rule at every level."""
    ae = sdtm["AE"]
    for name, code in LEVELS:
        pairs = ae[[name, code]].drop_duplicates()
        assert pairs[name].is_unique and pairs[code].is_unique, name
    assert (ae["AEBODSYS"] == ae["AESOC"]).all() and (ae["AEBDSYCD"] == ae["AESOCCD"]).all()


def test_sdtm_carries_the_coding_export_of_the_raw_form(raw_study, sdtm):
    raw = raw_study["AE"]
    ae = sdtm["AE"]
    exported = set(zip(raw["AETERM"].str.strip(), raw["AELLT"].str.strip(), raw["AEPTCD"].astype(int)))
    mapped = set(zip(ae["AETERM"], ae["AELLT"], ae["AEPTCD"].astype(int)))
    assert mapped <= exported


def test_the_catalogue_codes_every_verbatim_to_an_llt_of_the_extract():
    extract = meddra()
    llts = {llt for _, verbatims, *_ in AE_TERMS for _, llt in verbatims}
    llts |= {llt for _, verbatims, _ in RUNIN_TERMS for _, llt in verbatims}
    llts |= {llt for _, llt in FATAL_AE.values()}
    assert llts <= set(extract.index)
    for pt, verbatims, *_ in AE_TERMS + RUNIN_TERMS:  # each catalogue entry is the PT its verbatims code to
        assert {extract.loc[llt, "PT"] for _, llt in verbatims} == {pt}
    assert extract["SOURCE"].str.len().gt(0).all()  # where each code was checked


def test_an_llt_named_as_its_pt_has_the_pt_code():
    """MedDRA gives a PT a lowest level term of the same name and code."""
    extract = meddra()
    same = extract[extract["LLT"] == extract["PT"]]
    assert len(same) > 20 and (same["LLTCD"] == same["PTCD"]).all()


def test_llt_to_pt_coding_agrees_with_the_cdisc_pilot():
    """The pilot masks its codes, but its LLT > PT > SOC names are public: where it has our LLT, it agrees."""
    path = REFERENCE / "cdiscpilot01_tdf" / "sdtm" / "ae.xpt"
    if not path.exists():
        pytest.skip("the CDISC pilot reference data (../shared/reference) is not present")
    pilot = pd.read_sas(path, format="xport", encoding="latin1")[["AELLT", "AEDECOD", "AEBODSYS"]].drop_duplicates()
    pilot = pilot.apply(lambda s: s.str.upper())
    ours = meddra()[["LLT", "PT", "SOC"]].reset_index(drop=True).apply(lambda s: s.str.upper())
    both = ours.merge(pilot, left_on="LLT", right_on="AELLT")
    assert len(both) >= 10, both
    assert (both["PT"] == both["AEDECOD"]).all() and (both["SOC"] == both["AEBODSYS"]).all(), both


def test_medications_carry_the_whodrug_name_and_atc_class(sdtm):
    cm = sdtm["CM"]
    assert cm["CMDECOD"].notna().all() and cm["CMCLAS"].notna().all()
    assert cm["CMCLASCD"].str.fullmatch(r"[A-Z]\d\d[A-Z][A-Z]").all()  # ATC level 4
    riluzole = cm[cm["CMDECOD"] == "RILUZOLE"]
    assert len(riluzole) > 200 and (riluzole["CMCLASCD"] == "N07XX").all()
    assert (cm.groupby("CMDECOD")["CMCLASCD"].nunique() == 1).all()


def test_cmcat_is_a_category_not_a_repeat_of_the_drug(sdtm, spec):
    """P21 SD1039: CMCAT 'RILUZOLE' repeated CMDECOD."""
    cm = sdtm["CM"]
    assert not (cm["CMCAT"] == cm["CMDECOD"]).any() and not (cm["CMCAT"] == cm["CMTRT"].str.upper()).any()
    assert set(cm["CMCAT"]) == set(spec.sdtm.codelists["CMCAT"].values)
    assert (cm.loc[cm["CMDECOD"] == "RILUZOLE", "CMCAT"] == "BACKGROUND THERAPY").all()


def test_dictionary_versions_come_from_study_toml(spec):
    """The define builder reads [standards] meddra and whodrug; the spec quotes the same values."""
    standards = spec.study["standards"]
    assert standards["meddra"] and standards["whodrug"]
    assert spec.sdtm.codelists["MEDDRA"].comment.endswith(standards["meddra"])
    assert spec.sdtm.codelists["WHODRUG"].comment.endswith(standards["whodrug"])


def test_adae_carries_the_meddra_levels_of_ae(sdtm, adam):
    adae, ae = adam["ADAE"], sdtm["AE"]
    cols = [c for pair in LEVELS for c in pair]
    merged = adae[["USUBJID", "AESEQ", *cols]].merge(ae[["USUBJID", "AESEQ", *cols]], on=["USUBJID", "AESEQ"],
                                                       suffixes=("", "_AE"))
    assert len(merged) == len(adae)
    for c in cols:
        assert (merged[c] == merged[f"{c}_AE"]).all(), c


def test_suppae_has_a_treatment_emergent_flag_on_every_ae(sdtm):
    ae, supp = sdtm["AE"], sdtm["SUPPAE"]
    flag = supp[supp["QNAM"] == "AETRTEM"]
    assert len(flag) == len(ae)
    assert set(flag["QVAL"]) == {"Y", "N"} and (flag["IDVAR"] == "AESEQ").all()
    keys = set(zip(ae["USUBJID"], ae["AESEQ"].astype(int).astype(str)))
    assert set(zip(flag["USUBJID"], flag["IDVARVAL"])) == keys
    assert (flag["QORIG"] == "Derived").all() and (flag["QLABEL"] == "Treatment Emergent Flag").all()


def test_aetrtem_agrees_with_adae_trtemfl_on_every_record(sdtm, adam):
    supp = sdtm["SUPPAE"]
    flag = supp[supp["QNAM"] == "AETRTEM"].assign(AESEQ=lambda d: d["IDVARVAL"].astype(int))
    adae = adam["ADAE"][["USUBJID", "AESEQ", "TRTEMFL"]].assign(AESEQ=lambda d: d["AESEQ"].astype(int))
    both = flag.merge(adae, on=["USUBJID", "AESEQ"], validate="one_to_one")
    assert len(both) == len(adae)
    assert ((both["QVAL"] == "Y") == (both["TRTEMFL"] == "Y")).all()
    assert (both["QVAL"] == "N").any()  # run-in AEs, before the first injection
