"""ADSL, ADTTE and ADAE of the study, checked against SDTM and raw values and hand-worked cases."""

import pandas as pd
import pytest

from cdisc_mirocals.adam import derive_adam

from conftest import sas_date

SAS0 = pd.Timestamp("1960-01-01")


def _iso(sas: float) -> str:
    return (SAS0 + pd.Timedelta(days=int(sas))).strftime("%Y-%m-%d")


def test_adsl_has_one_record_per_subject_with_values_from_sdtm(adam, sdtm, raw_study):
    adsl = adam["ADSL"].set_index("USUBJID")
    dm = sdtm["DM"].set_index("USUBJID")
    randomised = sdtm["DS"].loc[sdtm["DS"]["DSDECOD"] == "RANDOMIZED", "USUBJID"]
    assert adsl.index.equals(pd.Index(sdtm["DM"]["USUBJID"])[sdtm["DM"]["USUBJID"].isin(randomised).to_numpy()])
    rand = raw_study["RAND"].iloc[3]
    usubjid = f"MIROCALS-{rand['SUBJID'].strip()}"
    row = adsl.loc[usubjid]
    assert row["RANDDT"] == sas_date(rand["RANDDAT"])
    assert row["TRTSDT"] == sas_date(dm.loc[usubjid, "RFXSTDTC"]) and row["TRTEDT"] == sas_date(dm.loc[usubjid, "RFXENDTC"])
    assert row["TRTDURD"] == row["TRTEDT"] - row["TRTSDT"] + 1
    assert row["TRT01P"] == dm.loc[usubjid, "ARM"] == rand["RANDTRT"].strip()
    assert row["STRAT1R"] == rand["STRCNTRY"].strip().upper() and row["STRAT2R"] == rand["STRONSET"].strip().upper()
    assert row["STRATAR"] == f"{row['STRAT1R']}, {row['STRAT2R']}"
    assert (row["ITTFL"], row["SAFFL"], row["FASFL"]) == ("Y", "Y", "Y")
    # ADaMIG 1.3, COM.ADSL: randomised subjects only, so ARM and TRT01P are never null (Pinnacle 21 AD0196)
    assert len(dm) - len(adsl) == (dm["ARMNRS"] == "SCREEN FAILURE").sum() > 0
    assert (adsl["ITTFL"] == "Y").all() and (adsl["ARM"] != "").all() and (adsl["TRT01P"] == adsl["ARM"]).all()
    assert (adsl["TRT01PN"].dropna().isin([0, 1])).all()


def test_adsl_baselines_come_from_the_raw_forms(adam, raw_study, spec):
    adsl = adam["ADSL"].set_index("USUBJID")
    csf = raw_study["CSF"].dropna(subset=["PNFH"]).iloc[5]
    usubjid = f"MIROCALS-{csf['SUBJID'].strip()}"
    assert adsl.loc[usubjid, "PNFHBL"] == csf["PNFH"]
    threshold = spec.study.pnfh_threshold
    grouped = adsl.dropna(subset=["PNFHBL"])
    assert ((grouped["PNFHBL"] <= threshold) == (grouped["PNFHGR1N"] == 1)).all()
    assert (grouped["PNFHGR1"] == grouped["PNFHGR1N"].map({1: "<=3700 pg/mL", 2: ">3700 pg/mL"})).all()
    qs = raw_study["ALSFRS"]
    base = qs[qs["VISIT"].str.strip().str.upper() == "BASELINE"].dropna(subset=["ALSFRSTO"]).iloc[0]
    assert adsl.loc[f"MIROCALS-{base['SUBJID'].strip()}", "ALSFRSBL"] == base["ALSFRSTO"]


def test_adsl_race_and_ethnicity_are_never_null(adam):
    adsl = adam["ADSL"]
    assert (adsl["RACE"] != "").all() and (adsl["ETHNIC"] != "").all()
    assert (adsl["RACE"] == "NOT REPORTED").sum() > 0


BASELINES = {"PNFHBL": ("LB", "NFHP"), "ALSFRSBL": ("QS", "ALSFRSTO"), "SVCPPBL": ("RE", "SVCPP")}


def _last_on_or_before_randomisation(sdtm, adsl, domain, testcd):
    """The last non-missing standard result of `testcd` dated on or before RANDDT, worked out by hand."""
    data = sdtm[domain]
    data = data[(data[f"{domain}TESTCD"] == testcd) & data[f"{domain}STRESN"].notna()]
    day = pd.to_datetime(data[f"{domain}DTC"]).sub(SAS0).dt.days
    data = data[day <= data["USUBJID"].map(adsl["RANDDT"])]
    return data.sort_values(["USUBJID", f"{domain}DTC", f"{domain}SEQ"]).groupby("USUBJID")[f"{domain}STRESN"].last()


def test_adsl_baselines_are_the_last_values_on_or_before_randomisation(adam, sdtm):
    adsl = adam["ADSL"].set_index("USUBJID")
    for var, (domain, testcd) in BASELINES.items():
        expected = _last_on_or_before_randomisation(sdtm, adsl, domain, testcd).reindex(adsl.index)
        assert expected.notna().sum() > 150, var
        pd.testing.assert_series_equal(adsl[var], expected, check_names=False, obj=var)


def test_a_randomised_subject_never_dosed_keeps_the_baselines(adam, sdtm, spec):
    """The seed-14 case, constructed: a randomised subject with a baseline pNFH but no injection keeps PNFHBL
    (and the other baselines of the ITT analyses), although SDTM flags no last observation before exposure."""
    adsl = adam["ADSL"].set_index("USUBJID")
    usubjid = adsl.dropna(subset=list(BASELINES)).index[0]
    sdtm = {k: v.copy() for k, v in sdtm.items()}
    sdtm["EX"] = sdtm["EX"][sdtm["EX"]["USUBJID"] != usubjid]
    dm = sdtm["DM"]
    mine = dm["USUBJID"] == usubjid
    dm.loc[mine, ["ACTARMCD", "ACTARM", "RFXSTDTC", "RFXENDTC", "RFSTDTC", "RFENDTC"]] = ""
    dm.loc[mine, "ARMNRS"] = "ASSIGNED, NOT TREATED"
    for domain, _ in BASELINES.values():  # SDTM --LOBXFL is relative to first exposure: none without a dose
        sdtm[domain].loc[sdtm[domain]["USUBJID"] == usubjid, f"{domain}LOBXFL"] = ""
    never = derive_adam(sdtm, spec)["ADSL"].set_index("USUBJID").loc[usubjid]
    assert (never["ITTFL"], never["SAFFL"], never["TRT01A"]) == ("Y", "N", "")
    for var in BASELINES:
        assert never[var] == adsl.loc[usubjid, var], var
    assert never["PNFHGR1"] == adsl.loc[usubjid, "PNFHGR1"] != ""


def test_adsl_death_and_last_known_alive(adam, sdtm, raw_study):
    adsl = adam["ADSL"].set_index("USUBJID")
    death = raw_study["DEATH"].iloc[0]
    row = adsl.loc[f"MIROCALS-{death['SUBJID'].strip()}"]
    assert row["DTHDT"] == sas_date(death["DTHDAT"]) and row["DTHFL"] == "Y"
    assert row["DTHCAUS"] == death["DTHCAUS"].strip().upper()
    alive = adsl[adsl["DTHFL"] != "Y"].dropna(subset=["RANDDT"])
    assert (alive["LSTALVDT"] >= alive["RANDDT"]).all()
    dead = adsl[adsl["DTHFL"] == "Y"]
    assert (dead["LSTALVDT"] <= dead["DTHDT"]).all()
    # no SDTM date of a living subject lies after the last known alive date
    vs = sdtm["VS"].assign(d=lambda d: pd.to_datetime(d["VSDTC"]).sub(SAS0).dt.days)
    latest = vs.groupby("USUBJID")["d"].max()
    assert (latest.reindex(alive.index).dropna() <= alive["LSTALVDT"].reindex(latest.reindex(alive.index).dropna().index)).all()


def test_adtte_has_each_parameter_for_every_randomised_subject(adam):
    adtte, adsl = adam["ADTTE"], adam["ADSL"]
    itt = adsl[adsl["ITTFL"] == "Y"]
    assert set(adtte["PARAMCD"]) == {"OS640", "OS", "DTHTRV"}
    for _, records in adtte.groupby("PARAMCD"):
        assert sorted(records["USUBJID"]) == sorted(itt["USUBJID"])
    assert (adtte["AVAL"] == adtte["ADT"] - adtte["STARTDT"] + 1).all()
    assert (adtte["STARTDT"].to_numpy() == adtte["USUBJID"].map(adsl.set_index("USUBJID")["RANDDT"]).to_numpy()).all()
    os640 = adtte[adtte["PARAMCD"] == "OS640"]
    assert os640["AVAL"].max() <= 640
    assert ((os640["CNSR"] == 0) == (os640["EVNTDESC"] == "DEATH")).all()


def test_os640_events_are_the_raw_deaths_within_640_days(adam, raw_study):
    rand = raw_study["RAND"].assign(s=lambda d: d["SUBJID"].str.strip()).set_index("s")["RANDDAT"]
    deaths = raw_study["DEATH"].assign(s=lambda d: d["SUBJID"].str.strip())
    day = (pd.to_datetime(deaths["DTHDAT"]) - pd.to_datetime(deaths["s"].map(rand))).dt.days + 1
    expected = sorted("MIROCALS-" + deaths.loc[day <= 640, "s"])
    os640 = adam["ADTTE"][adam["ADTTE"]["PARAMCD"] == "OS640"]
    assert sorted(os640.loc[os640["CNSR"] == 0, "USUBJID"]) == expected


def test_every_srcseq_points_at_an_existing_record_with_that_date(adam, sdtm):
    """ADaMIG 1.3 (SRCDOM, SRCVAR, SRCSEQ): the source is the record that holds ADT; a censoring at the end of
    the OS640 window is no record's date, so it has no source and CNSDTDSC says so (MT.ADTTE.SRC)."""
    adtte = adam["ADTTE"]
    window_end = adtte["CNSDTDSC"].str.contains("NO SDTM RECORD")
    assert window_end.sum() > 50 and (adtte.loc[window_end, "PARAMCD"] == "OS640").all()
    assert (adtte.loc[window_end, "SRCDOM"] == "").all() and (adtte.loc[window_end, "SRCVAR"] == "").all()
    assert adtte.loc[window_end, "SRCSEQ"].isna().all()
    assert (adtte.loc[window_end, "AVAL"] == 640).all()
    traced = adtte[~window_end]
    assert traced["SRCSEQ"].notna().all() and (traced["SRCDOM"] != "").all()
    for (dom, var), records in traced.groupby(["SRCDOM", "SRCVAR"]):
        source = sdtm[dom].set_index(["USUBJID", f"{dom}SEQ"])[var]
        keys = list(zip(records["USUBJID"], records["SRCSEQ"]))
        assert all(k in source.index for k in keys), dom
        dates = pd.to_datetime(source.loc[keys].str.slice(0, 10)).sub(SAS0).dt.days.to_numpy()
        assert (records["ADT"].to_numpy() == dates).all(), dom


def _with_death_on_day(sdtm, spec, day):
    """A copy of the SDTM in which one dead subject's death moves to study day `day` after randomisation."""
    sdtm = {k: v.copy() for k, v in sdtm.items()}
    ds = sdtm["DS"]
    death = ds[(ds["DSDECOD"] == "DEATH") & (ds["DSSCAT"] != "STUDY TREATMENT")].iloc[0]
    usubjid = death["USUBJID"]
    rand = ds[(ds["USUBJID"] == usubjid) & (ds["DSDECOD"] == "RANDOMIZED")]["DSSTDTC"].iloc[0]
    new = (pd.Timestamp(rand) + pd.Timedelta(days=day - 1)).strftime("%Y-%m-%d")
    ds.loc[death.name, "DSSTDTC"] = new
    sdtm["DM"].loc[sdtm["DM"]["USUBJID"] == usubjid, "DTHDTC"] = new
    for dom, var in (("LB", "LBDTC"), ("VS", "VSDTC"), ("QS", "QSDTC"), ("RE", "REDTC"), ("EX", "EXENDTC"),
                     ("AE", "AESTDTC"), ("SS", "SSDTC"), ("DS", "DSSTDTC")):
        mine = sdtm[dom]["USUBJID"] == usubjid  # keep the rest of the record before the death
        late = mine & (sdtm[dom][var] > new)
        sdtm[dom].loc[late, var] = rand
    return usubjid, derive_adam(sdtm, spec)


def test_death_on_day_640_exactly_is_an_os640_event(sdtm, spec):
    usubjid, adam = _with_death_on_day(sdtm, spec, 640)
    rec = adam["ADTTE"].set_index(["USUBJID", "PARAMCD"]).loc[(usubjid, "OS640")]
    assert (rec["AVAL"], rec["CNSR"], rec["EVNTDESC"], rec["SRCDOM"]) == (640, 0, "DEATH", "DS")


def test_death_after_day_640_is_censored_at_640_for_os640_and_an_event_for_os(sdtm, spec):
    usubjid, adam = _with_death_on_day(sdtm, spec, 700)
    recs = adam["ADTTE"].set_index(["USUBJID", "PARAMCD"])
    os640, os = recs.loc[(usubjid, "OS640")], recs.loc[(usubjid, "OS")]
    assert (os640["AVAL"], os640["CNSR"]) == (640, 1)
    assert os640["CNSDTDSC"].startswith("DAY 640 AFTER RANDOMIZATION") and os640["SRCDOM"] == ""
    assert (os["AVAL"], os["CNSR"]) == (700, 0)


def test_subject_lost_to_follow_up_is_censored_at_the_last_known_alive_date(adam):
    adsl = adam["ADSL"].set_index("USUBJID")
    lost = adsl.index[adsl["DCSREAS"] == "LOST TO FOLLOW-UP"]
    if len(lost) == 0:
        pytest.skip("no subject lost to follow-up in the default study")
    recs = adam["ADTTE"].set_index(["USUBJID", "PARAMCD"])
    for usubjid in lost:
        rec = recs.loc[(usubjid, "OS")]
        assert rec["CNSR"] == 1 and rec["ADT"] == adsl.loc[usubjid, "LSTALVDT"]
        assert rec["CNSDTDSC"] == "LAST KNOWN ALIVE DATE"


def test_adae_partial_start_dates_are_imputed_and_flagged(adam):
    adae = adam["ADAE"]
    partial = adae[adae["AESTDTC"].str.len() == 7]
    assert len(partial) > 0 and (partial["ASTDTF"] == "D").all()
    first = partial["AESTDTC"].map(lambda m: sas_date(m + "-01"))
    dosed = partial["TRTSDT"].notna()  # a subject randomised but never dosed has no first dose to move to
    in_month_of_first_dose = dosed & (partial["TRTSDT"].where(dosed, 0).map(_iso).str.slice(0, 7) == partial["AESTDTC"])
    expected = first.where(~in_month_of_first_dose, partial[["TRTSDT"]].max(axis=1).clip(lower=first))
    assert (partial["ASTDT"] == expected).all()
    assert (adae.loc[adae["AESTDTC"].str.len() == 10, "ASTDTF"] == "").all()


def test_adae_event_before_first_dose_is_not_treatment_emergent(adam):
    adae = adam["ADAE"]
    before = adae[adae["ASTDT"] < adae["TRTSDT"]]
    assert len(before) > 0
    assert (before["TRTEMFL"] == "").all() and (before["ASTDY"] < 0).all()
    window = adae[(adae["ASTDT"] >= adae["TRTSDT"]) & (adae["ASTDT"] <= adae["TRTEDT"] + 28)]
    assert (window["TRTEMFL"] == "Y").all()
    after = adae[adae["ASTDT"] > adae["TRTEDT"] + 28]
    assert (after["TRTEMFL"] == "").all()


def test_adae_traces_back_to_ae_through_aeseq(adam, sdtm):
    adae = adam["ADAE"].set_index(["USUBJID", "AESEQ"])
    ae = sdtm["AE"].set_index(["USUBJID", "AESEQ"])
    assert adae.index.is_unique and adae.index.sort_values().equals(ae.index.sort_values())
    for var in ("AETERM", "AEDECOD", "AESTDTC", "AESEV"):
        assert (adae[var] == ae.loc[adae.index, var]).all(), var
    first = adae[adae["AOCCFL"] == "Y"].groupby(level=0).size()
    assert (first == 1).all()


def test_lost_subject_is_censored_at_the_record_that_shows_them_last_alive(adam, sdtm):
    adsl = adam["ADSL"].set_index("USUBJID")
    lost = adsl.index[adsl["DCSREAS"] == "LOST TO FOLLOW-UP"]
    assert len(lost) > 0
    recs = adam["ADTTE"].set_index(["USUBJID", "PARAMCD"])
    for usubjid in lost:
        last = adsl.loc[usubjid, "LSTALVDT"]
        assert last - adsl.loc[usubjid, "RANDDT"] + 1 < 640  # lost before day 640
        for paramcd in ("OS640", "OS"):
            rec = recs.loc[(usubjid, paramcd)]
            assert (rec["CNSR"], rec["ADT"], rec["CNSDTDSC"]) == (1, last, "LAST KNOWN ALIVE DATE")
            source = sdtm[rec["SRCDOM"]].set_index(["USUBJID", f"{rec['SRCDOM']}SEQ"]).loc[(usubjid, rec["SRCSEQ"])]
            assert sas_date(source[rec["SRCVAR"]][:10]) == last
        # no date of this subject in any SDTM domain lies after the censoring date
        for dom, var in (("VS", "VSDTC"), ("LB", "LBDTC"), ("EX", "EXENDTC"), ("DS", "DSSTDTC")):
            dates = sdtm[dom].loc[sdtm[dom]["USUBJID"] == usubjid, var].str.slice(0, 10)
            assert all(sas_date(x) <= last for x in dates if len(x) == 10), dom


def test_partial_ae_start_in_the_month_of_first_dose(adam, sdtm, spec):
    adsl = adam["ADSL"]
    subject = adsl[adsl["SAFFL"] == "Y"].iloc[0]
    first_dose = _iso(subject["TRTSDT"])
    month = first_dose[:7]
    ae = sdtm["AE"].copy()
    rows = ae.index[ae["USUBJID"] == subject["USUBJID"]][:2]
    assert len(rows) == 2 and first_dose[8:] != "01"
    day_before = (pd.Timestamp(first_dose) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    ae.loc[rows[0], ["AESTDTC", "AEENDTC"]] = [month, day_before if day_before[:7] == month else month + "-01"]
    ae.loc[rows[1], ["AESTDTC", "AEENDTC"]] = [month, ""]
    adae = derive_adam({**sdtm, "AE": ae}, spec)["ADAE"].set_index(["USUBJID", "AESEQ"])
    ended_before = adae.loc[(subject["USUBJID"], ae.loc[rows[0], "AESEQ"])]
    may_be_on_treatment = adae.loc[(subject["USUBJID"], ae.loc[rows[1], "AESEQ"])]
    # imputed to the first of the month, but not before first dose unless it ended before first dose
    assert ended_before["ASTDT"] == sas_date(month + "-01") and ended_before["TRTEMFL"] == ""
    assert may_be_on_treatment["ASTDT"] == subject["TRTSDT"] and may_be_on_treatment["TRTEMFL"] == "Y"
    assert may_be_on_treatment["ASTDTF"] == "D"
