"""The consistency rules (validate/rules/consistency.py) fire on exactly the records that break them and keep
Pinnacle 21's exemptions; the arm rules exempt screen failures whatever the case of their code."""

from validate_helpers import fired, findings, sdtm


def lb(name="LB", **cols):
    base = dict(USUBJID=["S1"] * 7, LBSEQ=[1, 2, 3, 4, 5, 6, 7],
                LBTESTCD=["HCT", "PH", "SPGRAV", "KETONES", "COLOR", "ALB", "ANISO"],
                LBORRES=["0.42", "6.5", "1.015", "0", "N", "41", "1"],
                LBORRESU=["", "", "", "", "", "g/L", ""],
                LBSTRESC=["0.42", "6.5", "1.015", "0", "N", "41", "1"],
                LBSTRESU=["", "", "", "", "", "g/L", ""])
    base.update(cols)
    return sdtm(name, domain="LB", **base)


def test_sd0026_sd0029_numeric_results_without_units():
    # fired: HCT 0.42 and ANISO 1; exempt: pH, specific gravity, a result of 0, a text result, a result with a unit
    assert fired("SD0026", lb()) == [("LB", 1), ("LB", 7)]
    assert fired("SD0029", lb()) == [("LB", 1), ("LB", 7)]
    assert fired("SD0029", lb(LBSTRESU=["1"] * 7)) == []
    assert fired("SD0026", lb(LBORRES=[""] * 7)) == []
    # a split dataset is checked as its domain, and its findings name the file's dataset
    assert fired("SD0029", lb("LBHE")) == [("LBHE", 1), ("LBHE", 7)]


def test_sd0026_sd0029_leave_scores_alone():
    qs = sdtm("QS", USUBJID=["S1"], QSSEQ=[1], QSTESTCD=["ALSFRS01"], QSORRES=["3"], QSORRESU=[""],
              QSSTRESC=["3"], QSSTRESU=[""])
    assert fired("SD0026", qs) == [] and fired("SD0029", qs) == []


def ae(**cols):
    base = dict(USUBJID=["S1"] * 4, AESEQ=[1, 2, 3, 4], AETERM=["a", "b", "c", "d"],
                AESTDTC=["2020-01-01", "2020-01-02", "", "2020-01-04"],
                AEENDTC=["2020-01-05", "", "", ""], AEENRF=["", "", "", "ONGOING"])
    base.update(cols)
    return sdtm("AE", **base)


def test_sd0021_sd0022_time_points():
    assert fired("SD0021", ae()) == [("AE", 2), ("AE", 3)]
    assert fired("SD0022", ae()) == [("AE", 3)]
    assert fired("SD0021", ae(AEOCCUR=["Y", "N", "N", "Y"])) == []  # did not occur: nothing to end
    assert fired("SD0021", ae(AEENDTC=["2020-01-05", "2020-01-06", "2020-01-07", ""])) == []
    cm = sdtm("CM", USUBJID=["S1"], CMSEQ=[1], CMTRT=["x"], CMSTDTC=["2020-01-01"], CMENDTC=[""])
    assert fired("SD0021", cm) == []  # AE only, as P21 runs it


def dm(**cols):
    base = dict(USUBJID=["S1", "S2", "S3", "S4", "S5"], ARMCD=["A", "A", "Scrnfail", "B", "A"],
                ACTARMCD=["A", "B", "Scrnfail", "NOTTRT", ""], ARMNRS=["", "", "", "", "ASSIGNED, NOT TREATED"])
    base.update(cols)
    return sdtm("DM", **base)


def test_sd2236_actual_arm_other_than_planned():
    assert fired("SD2236", dm()) == [("DM", 2)]  # S2 planned A, treated B; the others are exempt
    assert fired("SD2236", dm(ACTARMCD=["A", "A", "Scrnfail", "NOTTRT", ""])) == []


def test_sd0006_no_baseline_per_domain():
    vs = sdtm("VS", USUBJID=["S1", "S2", "S4"], VSSEQ=[1, 1, 1], VSBLFL=["Y", "", ""])
    lbch = sdtm("LBCH", domain="LB", USUBJID=["S1", "S2"], LBSEQ=[1, 1], LBBLFL=["Y", ""])
    lbhe = sdtm("LBHE", domain="LB", USUBJID=["S2"], LBSEQ=[2], LBBLFL=["Y"])
    f = findings("SD0006", dm(), vs, lbch, lbhe)
    # S2 has no VS baseline; its LB baseline is in LBHE, the same domain as LBCH. S3 (screen failure, 'Scrnfail'),
    # S4 (NOTTRT) and S5 (ARMNRS 'ASSIGNED, NOT TREATED') are exempt
    assert list(zip(f["record"], f["detail"])) == [(2, "no baseline record in VS")]
    lb34 = sdtm("LB", USUBJID=["S1", "S2"], LBSEQ=[1, 1], LBLOBXFL=["Y", "Y"])  # SDTMIG 3.4's flag
    assert fired("SD0006", dm(), lb34) == []


def test_sd1131_baseline_without_a_standard_result():
    qs = sdtm("QSCO", domain="QS", USUBJID=["S1"] * 3, QSSEQ=[1, 2, 3], QSSTRESC=["3", "", ""], QSBLFL=["Y", "Y", ""])
    assert fired("SD1131", qs) == [("QSCO", 2)]
    assert fired("SD1131", sdtm("LB", USUBJID=["S1"], LBSEQ=[1], LBSTRESC=[""], LBLOBXFL=[""])) == []


def test_screen_failures_are_exempt_whatever_the_case():
    ta = sdtm("TA", ARMCD=["A", "B"], ARM=["Drug", "Placebo"], TAETORD=[1, 1], ETCD=["D", "P"],
              EPOCH=["TREATMENT", "TREATMENT"])
    people = sdtm("DM", USUBJID=["S1", "S2"], ARMCD=["A", "Scrnfail"], ARM=["Drug", "Screen Failure"],
                  ACTARMCD=["A", "scrnfail"], ACTARM=["Drug", "Screen Failure"], RFSTDTC=["2020-01-01", ""],
                  RFENDTC=["2020-02-01", ""])
    for rule in ("SD0071", "SD2002", "SD0087", "SD0088"):
        assert fired(rule, people, ta) == [], rule
    treated_late = sdtm("DM", USUBJID=["S1", "S2"], ARMCD=["A", "Drug2"], ARM=["Drug", "Drug 2"],
                        ACTARMCD=["A", "Drug2"], ACTARM=["Drug", "Drug 2"], RFSTDTC=["2020-01-01", ""],
                        RFENDTC=["2020-02-01", ""])
    assert fired("SD0071", treated_late, ta) == [("DM", 2)] and fired("SD0087", treated_late) == [("DM", 2)]


def test_no_rule_text_names_a_file_of_the_repository():
    """The message and description of every rule reach the validation reports and the reviewer's guides."""
    import re

    from cdisc_mirocals.validate.rules import load_all

    developer = re.compile(r"specs/|\.toml\b|\.csv\b|\.py\b|cdisc_mirocals")
    texts = {rid: f"{r.message} {r.description}" for rid, r in load_all().items()}
    assert len(texts) > 200
    assert [rid for rid, text in texts.items() if developer.search(text)] == []
