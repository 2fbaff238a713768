"""The validator on data nobody here wrote: the CDISC pilot (PHUSE Test Data Factory SDTM, SDTMIG 3.2
with Define-XML 2.0, and the R Consortium Pilot 1 ADaM). It completes, and every finding is pinned by
rule, dataset, severity and count. Each was checked by hand against the data; the comments say what
each one is. None is a false positive of the validator: the version differences (3.2 data against the
3.4 model) are reported as Notices that say so, and the CT findings are real against CT 2025-03-28."""

import pandas as pd
import pytest
from conftest import REFERENCE

from cdisc_mirocals.validate.engine import validate_folder

PILOT = REFERENCE / "cdiscpilot01_tdf"
# the findings depend on nothing but the data (no date is in the future of the pilot, 2012-2015)


@pytest.fixture(scope="module")
def sdtm():
    if not (PILOT / "sdtm" / "dm.xpt").is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here")
    return validate_folder(PILOT / "sdtm")


@pytest.fixture(scope="module")
def adam():
    if not (PILOT / "adam" / "adsl.xpt").is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here")
    return validate_folder(PILOT / "adam")


def counts(report) -> dict:
    f = report.findings
    return {(r, d): (s, n) for (r, d, s), n in f.groupby(["rule", "dataset", "severity"]).size().items()}


SDTM_FINDINGS = {
    # DSDECOD "FINAL LAB VISIT" (254) and "FINAL RETRIEVAL VISIT" (36), DSCAT OTHER EVENT: sponsor terms, not in
    # the extensible DS codelists (NCOMPLT, PROTMLST, OTHEVENT). P21 reports these the same way.
    ("CT2002", "DS"): ("Warning", 290),
    # LBSTRESC "<3.42" (5) and "<2.2204" (1): text results that are not terms of LBSTRESC (C102580);
    # numeric results are exempt from the codelist, as P21's value-level check exempts them.
    ("CT2002", "LBCH"): ("Warning", 6),
    # LBSTRESC "N" for urine COLOR (874): an abbreviation, not a CT term.
    ("CT2002", "LBUR"): ("Warning", 874),
    # TS: TSPARMCD AGESPAN and TSPARM "Age Group" (2 each; retired from CT since 2013, and P21 reports these 4),
    # TSPARM "Trial Indication" and "Trial Indication Type" (now "Trial Disease/Condition Indication", "Trial Intent
    # Type"). (SDTMIG 3.2 gives TSVCDREF no codelist: checked against 3.4, its CDISC, ISO 8601 and NDF-RT are not
    # DICTNAM terms, test_the_pilot_against_sdtmig_3_4)
    ("CT2002", "TS"): ("Warning", 6),
    # 01-710-1083 died on 2013-08-02 (DM.DTHDTC, DS DEATH) and has a WEEK 2 visit on 2013-08-03 (SV record
    # 2225; RFENDTC is also 2013-08-03): a real inconsistency of the test data.
    ("MC0104", "SV"): ("Error", 1),
    # define.xml marks TS.TSVAL Mandatory; the AGEMAX record has TSVAL null and TSVALNF = PINF, as SDTMIG
    # prescribes: define.xml's Mandatory flag is what is wrong, and P21 reports the same conflict.
    ("MC0301", "TS"): ("Error", 1),
    # TS TDIGRP and TITLE hold a windows-1252 right quote (Alzheimer’s): not ASCII.
    ("MC0304", "TS"): ("Warning", 2),
    # define.xml Lengths that are not the dataset's (AETERM 200 in define.xml, 46 in ae.xpt, ...): 93 variables.
    **{("MC0306", d): ("Warning", n) for d, n in {"AE": 8, "DM": 8, "DS": 2, "EX": 1, "LBCH": 5, "LBHE": 5, "LBUR": 5,
                                                   "RELREC": 4, "SE": 3, "SUPPAE": 7, "SUPPDM": 6, "SUPPDS": 7,
                                                   "TA": 6, "TE": 5, "TI": 1, "TS": 3, "TV": 4}.items()},
    # value-level where-clauses of define.xml that select no record: LBTESTCD BUN in LBCH, LBCAT "NULL" (2) in
    # LBHE, SCTESTCD EDLEVEL, QNAM TRTEMFL in SUPPAE (there is none), TSPARMCD COMPTRT.
    **{("MC0308", d): ("Notice", n) for d, n in {"LBCH": 1, "LBHE": 2, "SC": 1, "SUPPAE": 1, "TS": 1}.items()},
    # (no SD0037 or SD0065: VISITNUM 1.2000000000000002, 1.3000000000000003, 4.199999999999999 and 9.299999999999999
    # in LB (250 records) and SV (1) are 1.2, 1.3, 4.2 and 9.3 with one bit of IBM-to-IEEE noise; numbers are compared
    # at 12 significant digits, as SAS compares them, and match define.xml's codelist and SV)
    # checked against SDTMIG 3.2, which define.xml declares: class and timing variables added to domains, as P21
    # counts them: AEDTC, AEDY, EPOCH (AE); VISIT, VISITNUM, DSDY (DS); VISIT, VISITNUM, VISITDY (EX); EPOCH in LB
    # (once for the split domain), SV and VS; SESTDY, SEENDY (SE)
    ("SD1076", "AE"): ("Notice", 3), ("SD1076", "DS"): ("Notice", 3), ("SD1076", "EX"): ("Notice", 3),
    ("SD1076", "LBCH"): ("Notice", 1), ("SD1076", "SE"): ("Notice", 2), ("SD1076", "SV"): ("Notice", 1),
    ("SD1076", "VS"): ("Notice", 1),
    # SDTMIG 3.2's SE table (CDISC Library) orders SESTDTC, SEENDTC, TAETORD, EPOCH, SEUPDES; the pilot places
    # SEUPDES and EPOCH after ELEMENT. (P21 2.2.0 does not report it.)
    ("SD1079", "SE"): ("Warning", 2),
    # datasets define.xml describes that this copy of the pilot leaves out (README: cm, mh, qs*, supplb*)
    **{("SD0061", d): ("Warning", 1) for d in ("CM", "MH", "QSCO", "QSDA", "QSGI", "QSHI", "QSMM", "QSNI",
                                               "SUPPLBCH", "SUPPLBHE", "SUPPLBUR")},
    # P21's five most frequent findings on the pilot, reproduced with its counts (P21 TDF report): AE records with no
    # end time point (472); numeric LB results without units, pH, specific gravity, results of 0 and text results
    # exempt (LBORRES 318, LBSTRESC 2,116: HCT as a fraction in LBHE, semiquantitative grades of 1 in LBHE/LBUR);
    # 12 subjects planned Xan_Hi and treated Xan_Lo; 01-703-1119 without an LB baseline record.
    ("SD0021", "AE"): ("Warning", 472), ("SD0026", "LBHE"): ("Warning", 293), ("SD0026", "LBUR"): ("Warning", 25),
    ("SD0029", "LBHE"): ("Warning", 2091), ("SD0029", "LBUR"): ("Warning", 25), ("SD2236", "DM"): ("Warning", 12),
    # 01-705-1018 and 01-705-1382: a first study treatment (RFXSTDTC) and no last (RFXENDTC)
    ("SD1209", "DM"): ("Warning", 2),
    ("SD0006", "DM"): ("Warning", 1),
    # (no SD0071, SD2002, SD0087, SD0088: the 52 screen failures' ARMCD "Scrnfail" is SCRNFAIL in another case, and
    # screen failures are exempt whatever the case, as P21 exempts them)
    # (no SD1082: each LB file's lengths are the longest values of the LB domain, as P21 asks, "prior to splitting")
    # TSVAL "PHASE II TRIAL" where define.xml's CL.TPHASE has "Phase II Trial".
    ("SD1228", "TS"): ("Error", 1),
    # labels: EXTRT "Name of Treatment" vs define.xml "Name of  Treatment" (two spaces), TAETORD and IETESTCD
    # worded otherwise in define.xml.
    ("SD1324", "EX"): ("Warning", 1), ("SD1324", "TA"): ("Warning", 1), ("SD1324", "TI"): ("Warning", 1),
    # every XPT file of the TDF has an empty dataset label (member header), define.xml describes each
    **{("SD1325", d): ("Warning", 1) for d in ("AE", "DM", "DS", "EX", "LBCH", "LBHE", "LBUR", "RELREC", "SC", "SE",
                                               "SUPPAE", "SUPPDM", "SUPPDS", "SV", "TA", "TE", "TI", "TS", "TV",
                                               "VS")},
    # SC is dated (SCDTC) but has no EPOCH, which the FDA asks for on every dated record.
    ("SD1339", "SC"): ("Warning", 1),
    # 01-704-1445's fatal AE (COMPLETED SUICIDE) ends 2014-10-31; DM.DTHDTC is 2014-11-01.
    ("SD1347", "AE"): ("Warning", 1),
    # TS parameters the FDA has asked for since the pilot was made: EXTTIND, NCOHORT, PDPSTIND, PDSTIND, PIPIND,
    # RDIND, SDTIGVER, SDTMVER, THERAREA, ONGOSIND. (CURTRT is not required: ADDON is N.)
    **{(r, "TS"): ("Warning", 1) for r in ("SD2273", "SD2274", "SD2276", "SD2277", "SD2278", "SD2279", "SD2280",
                                           "SD2281", "SD2282", "SD2287")},
}

ADAM_FINDINGS = {
    # (no AD2001: the 52 screen failures of DM are not in ADSL, which ADaMIG leaves to the sponsor; every DM subject
    # assigned to an arm, 254, is; test_every_subject_assigned_to_an_arm_is_in_the_pilot_adsl)
    # adcibc.xpt holds the member ADQSCIBC, which define.xml does not describe (it describes ADCIBC, which is
    # therefore "missing" below)
    ("MC0305", "ADQSCIBC"): ("Error", 1), ("SD1063", "ADQSCIBC"): ("Error", 1),
    # lengths above the longest value: ADQSCIBC AVISIT, AWRANGE, DTYPE, PARAM (100 for 11), VISIT; ADSL RFSTDTC,
    # RFENDTC (20 for 10)
    ("SD1082", "ADQSCIBC"): ("Error", 5), ("SD1082", "ADSL"): ("Error", 2),
    # ADTTE PARAM 32 and PARAMCD 4 bytes long; define.xml says 100 and 8
    ("MC0306", "ADTTE"): ("Warning", 2),
    # define.xml describes 12 datasets; this copy has 4 (adlbc and the others are not public, README)
    **{("SD0061", d): ("Warning", 1) for d in ("ADADAS", "ADCIBC", "ADLBC", "ADLBCPV", "ADLBH", "ADLBHPV", "ADLBHY",
                                               "ADNPIX", "ADVS")},
    # empty dataset labels in the XPT files
    ("SD1325", "ADAE"): ("Warning", 1), ("SD1325", "ADSL"): ("Warning", 1), ("SD1325", "ADTTE"): ("Warning", 1),
    # labels other than ADaMIG 1.3's, as Notices (the data declare ADaMIG 1.0): ANL01FL "Analysis Record Flag 01"
    # (1.0's label), ADTTE STARTDT "Time to Event ..." and SRCDOM "Source Domain" (1.3: Time-to-Event, Source Data)
    ("AD0018", "ADQSCIBC"): ("Notice", 1), ("AD0018", "ADTTE"): ("Notice", 2),
}


def test_the_pilot_sdtm_findings(sdtm):
    assert not [n for n in sdtm.notes if "could not run" in n], sdtm.notes
    assert sdtm.standard == "sdtmig-3.2" and sdtm.standard_source == "define.xml (CDISC SDTM 3.2)"
    assert sdtm.metadata == "define.xml" and len(sdtm.datasets) == 20 and sdtm.datasets["records"].sum() == 98732
    assert counts(sdtm) == SDTM_FINDINGS


def test_the_pilot_adam_findings(adam):
    assert not [n for n in adam.notes if "could not run" in n], adam.notes
    assert adam.standard == "adamig-1.3" and len(adam.datasets) == 4
    assert counts(adam) == ADAM_FINDINGS


def test_the_hand_checked_details(sdtm):
    f = sdtm.findings
    death = f[f["rule"] == "MC0104"].iloc[0]
    assert (death.usubjid, death.record, death["values"], death.detail) == \
        ("01-710-1083", 2225, "2013-08-03", "DM.DTHDTC 2013-08-02")
    assert not f["rule"].isin(["SD0037", "SD0065", "SD1082"]).any()
    assert not f["rule"].isin(["SD0071", "SD2002", "SD0087", "SD0088"]).any()
    baseline = f[f["rule"] == "SD0006"].iloc[0]
    assert (baseline.usubjid, baseline.detail) == ("01-703-1119", "no baseline record in LB")
    arms = f[f["rule"] == "SD2236"]
    assert set(arms["values"]) == {"Xan_Hi, Xan_Lo"} and len(arms) == 12
    ct_ds = f[(f["rule"] == "CT2002") & (f["dataset"] == "DS")]["values"].value_counts().to_dict()
    assert ct_ds == {"FINAL LAB VISIT": 254, "FINAL RETRIEVAL VISIT": 36}
    fatal = f[f["rule"] == "SD1347"].iloc[0]
    assert (fatal.usubjid, fatal["values"]) == ("01-704-1445", "FATAL, 2014-10-31")


def test_the_pilot_against_sdtmig_3_4():
    """--standard sdtmig-3.4 checks the 3.2 data against 3.4's tables, as before versions were vendored: the 3.4-only
    variables (Notices that name both versions) and 3.4's codelists."""
    if not (PILOT / "sdtm" / "dm.xpt").is_file():
        pytest.skip("the shared reference folder (../shared/reference) is not here")
    report = validate_folder(PILOT / "sdtm", standard="sdtmig-3.4")
    assert report.standard == "sdtmig-3.4" and report.standard_source == "given"
    got = counts(report)
    assert {k: v for k, v in got.items() if k[0] in ("SD0057", "SD0058", "SD1076", "SD1079")} == {
        ("SD0057", "DM"): ("Notice", 2), ("SD0057", "LBCH"): ("Notice", 1), ("SD0057", "SV"): ("Notice", 2),
        ("SD0057", "VS"): ("Notice", 1), ("SD1076", "AE"): ("Notice", 2), ("SD1076", "DS"): ("Notice", 2),
        ("SD1076", "EX"): ("Notice", 3), ("SD1076", "SV"): ("Notice", 1), ("SD1079", "SE"): ("Notice", 1)}
    assert got[("CT2002", "TS")] == ("Warning", 16)
    assert any("the data declares SDTMIG 3.2" in n for n in report.notes)


def test_every_subject_assigned_to_an_arm_is_in_the_pilot_adsl(adam):
    import pyreadstat

    dm, _ = pyreadstat.read_xport(str(PILOT / "sdtm" / "dm.xpt"))
    adsl, _ = pyreadstat.read_xport(str(PILOT / "adam" / "adsl.xpt"))
    left_out = dm[~dm["USUBJID"].isin(adsl["USUBJID"])]
    assert len(adsl) == 254 and len(left_out) == 52 and set(left_out["ARMCD"]) == {"Scrnfail"}
    assert not (adam.findings["rule"] == "AD2001").any()


def test_the_adam_traceability_of_the_pilot_holds(adam):
    """ADTTE's SRCDOM/SRCVAR/SRCSEQ (ADAE ASTDT, ADSL dates) all point at records holding ADT: no MC0203/MC0204."""
    assert not adam.findings["rule"].isin(["MC0203", "MC0204", "AD0053", "AD0204", "MC0205"]).any()
    assert pd.Series(adam.rules["rule"]).isin(["MC0203", "MC0204"]).sum() == 2
