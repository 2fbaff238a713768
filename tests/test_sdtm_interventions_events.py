"""EX, EC, CM, AE, MH and PR, checked against the raw source for specific subjects."""

import pandas as pd
import pytest

from conftest import assert_passes_schema, map_one

DOMAINS = {"EX": "INJ", "EC": "INJ", "CM": "CM", "AE": "AE", "MH": "MH", "PR": "TRACH"}
# The domain that accounts for each raw record of its form (EX holds a subset of the INJ rows that EC holds).
COVERING = {name: form for name, form in DOMAINS.items() if name != "EX"}
STUDY_DAYS = {"EX": {"EXSTDTC": "EXSTDY", "EXENDTC": "EXENDY"}, "EC": {"ECSTDTC": "ECSTDY", "ECENDTC": "ECENDY"}, "CM": {"CMSTDTC": "CMSTDY", "CMENDTC": "CMENDY"},
              "AE": {"AESTDTC": "AESTDY", "AEENDTC": "AEENDY"}, "PR": {"PRSTDTC": "PRSTDY"}}


@pytest.fixture(scope="module")
def mapped(spine):
    """{domain: (context, conformed frame, mapped frame with _FORM/_LINE)}."""
    return {name: map_one(spine, name) for name in DOMAINS}


def _norm(s):
    return s.astype("string").str.strip().str.casefold()


def _record(frame, subjid, **where):
    rows = frame[frame["USUBJID"] == f"MIROCALS-{subjid.strip()}"]
    for var, value in where.items():
        rows = rows[rows[var] == value]
    assert len(rows) == 1, (subjid, where, len(rows))
    return rows.iloc[0]


@pytest.mark.parametrize("name", DOMAINS)
def test_domain_passes_schema_with_unique_keys_and_seq(mapped, spec, name):
    ctx, frame, _ = mapped[name]
    assert_passes_schema(frame, spec, name)
    assert not frame.duplicated(list(spec.sdtm[name].keys)).any()
    seq = f"{name}SEQ"
    assert not frame.duplicated(["USUBJID", seq]).any() and (frame[seq] >= 1).all()
    # MT.SEQ: numbered in key order, which is the order conform() sorts by
    assert frame.groupby("USUBJID")[seq].apply(lambda s: s.is_monotonic_increasing).all()
    assert not ctx.ct_errors and not ctx.ct_notes


@pytest.mark.parametrize("name", COVERING)
def test_every_raw_record_is_mapped_or_excluded_exactly_once(mapped, raw_study, name):
    ctx, _, frame = mapped[name]
    form = DOMAINS[name]
    lines = set(raw_study[form]["_LINE"])
    own = frame[frame["_FORM"] == form]
    assert not own["_LINE"].duplicated().any()
    excluded = pd.concat(ctx.exclusions) if ctx.exclusions else pd.DataFrame(columns=["FORM", "LINE"])
    assert set(excluded["FORM"]) <= {form}
    assert not excluded["LINE"].duplicated().any()
    assert set(own["_LINE"]).isdisjoint(excluded["LINE"])
    assert set(own["_LINE"]) | set(excluded["LINE"]) == lines


@pytest.mark.parametrize("name", STUDY_DAYS)
def test_study_days_count_from_rfstdtc_without_day_zero(mapped, spine, name):
    _, frame, _ = mapped[name]
    rfst = frame["USUBJID"].map(spine.datasets["DM"].set_index("USUBJID")["RFSTDTC"])
    for dtc, dy in STUDY_DAYS[name].items():
        full = frame[dtc].str.len() == 10
        delta = (pd.to_datetime(frame[dtc].where(full)) - pd.to_datetime(rfst.where(rfst != ""))).dt.days
        expected = delta + (delta >= 0)
        assert (frame[dy] != 0).all()
        pd.testing.assert_series_equal(frame[dy], expected.astype(float), check_names=False)
        assert frame.loc[~full, dy].isna().all()


# ----------------------------------------------------------------------------- EX

def test_ex_holds_the_administered_injections_of_the_allocated_treatment(mapped, raw_study):
    _, ex, _ = mapped["EX"]
    inj, rand = raw_study["INJ"], raw_study["RAND"]
    for treatment, extrt in (("aldesleukin 2 miu", "ALDESLEUKIN"), ("placebo", "PLACEBO")):
        subj = rand.loc[_norm(rand["RANDTRT"]) == treatment, "SUBJID"].iloc[0].strip()
        given = inj[(inj["SUBJID"].str.strip() == subj) & (_norm(inj["INJDONE"]) == "yes")]
        rows = ex[ex["USUBJID"] == f"MIROCALS-{subj}"].sort_values("EXSTDTC")
        assert rows["EXSTDTC"].tolist() == sorted(given["INJDAT"]) and (rows["EXENDTC"] == rows["EXSTDTC"]).all()
        assert (rows["EXTRT"] == extrt).all() and (rows["EXDOSU"] == "10^6 IU").all()
        first = given.sort_values("INJDAT").iloc[0]
        row = _record(ex, subj, EXSTDTC=first["INJDAT"])
        assert row["EXSPID"] == f"C{first['CYCLE']:02d}-D{first['INJDAY']}" and row["EXGRPID"] == f"CYCLE{first['CYCLE']:02d}"
        assert row["EXDOSE"] == (first["INJDOSE"] if extrt == "ALDESLEUKIN" else 0)
        assert row["EXSTDY"] == 1 and row["EPOCH"] == "TREATMENT"


def test_ex_holds_the_given_injections_and_excludes_nothing(mapped, raw_study):
    """EX keeps the administered doses only; a missed injection is no longer excluded but mapped to EC."""
    ctx, ex, frame = mapped["EX"]
    inj = raw_study["INJ"]
    given = inj[_norm(inj["INJDONE"]) == "yes"]
    assert sorted(frame["_LINE"]) == sorted(given["_LINE"]) and not ctx.exclusions
    missed = inj[_norm(inj["INJDONE"]) == "no"].iloc[0]
    assert not ((ex["USUBJID"] == f"MIROCALS-{missed['SUBJID'].strip()}") & (ex["EXSTDTC"] == missed["INJDAT"])).any()


def test_ec_holds_every_planned_injection_as_collected(mapped, raw_study, spec):
    """SDTMIG 3.4 EC: every row of the injection log, given (ECOCCUR 'Y') or missed (ECOCCUR 'N' with the
    collected reason in ECREASOC), under the blinded name and the dose written on the CRF."""
    ctx, ec, frame = mapped["EC"]
    inj = raw_study["INJ"]
    # every row but the days not given after the end of participation, which are excluded with their reason
    left_out = pd.concat(ctx.exclusions)
    assert set(left_out["REASON"]) == {"planned injection not given, dated after the subject's end of participation "
                                       "(DM.RFPENDTC): no longer a planned dose, so not tabulated in EC"}
    assert sorted(frame["_LINE"].tolist() + left_out["LINE"].tolist()) == sorted(inj["_LINE"])
    inj = inj[~inj["_LINE"].isin(left_out["LINE"])]
    missed = _norm(inj["INJDONE"]) == "no"
    assert missed.sum() > 400
    by_line = frame.set_index("_LINE")
    assert (by_line.loc[inj.loc[missed, "_LINE"], "ECOCCUR"] == "N").all()
    assert (by_line.loc[inj.loc[missed, "_LINE"], "ECREASOC"].to_numpy()
            == inj.loc[missed, "INJREAS"].str.strip().to_numpy()).all()
    assert (by_line.loc[inj.loc[~missed, "_LINE"], "ECOCCUR"] == "Y").all()
    assert (ec.loc[ec["ECOCCUR"] == "Y", "ECREASOC"] == "").all()
    assert ec.loc[ec["ECOCCUR"] == "N", "ECDOSE"].isna().all()
    assert (ec["ECMOOD"] == "PERFORMED").all() and (ec["ECPRESP"] == "Y").all()
    assert set(ec["ECTRT"]) == set(spec.sdtm.codelists["ECTRT"].values) and len(set(ec["ECTRT"])) == 1
    assert (ec["ECENDTC"] == ec["ECSTDTC"]).all()


def test_ec_and_ex_describe_the_same_administrations(mapped):
    """EX is derived from EC: each administered injection is one EX record with the same ECSPID/EXSPID and date;
    EC keeps the blinded dose as collected, EX the dose of the unblinded treatment (0 for placebo)."""
    _, ec, _ = mapped["EC"]
    _, ex, _ = mapped["EX"]
    given = ec[ec["ECOCCUR"] == "Y"]
    joined = given.merge(ex, left_on=["USUBJID", "ECSPID"], right_on=["USUBJID", "EXSPID"], how="outer",
                         indicator=True)
    assert (joined["_merge"] == "both").all() and len(joined) == len(ex)
    assert (joined["ECSTDTC"] == joined["EXSTDTC"]).all() and (joined["ECGRPID"] == joined["EXGRPID"]).all()
    assert (joined["EPOCH_x"] == joined["EPOCH_y"]).all()
    placebo = joined["EXTRT"] == "PLACEBO"
    assert placebo.any() and (joined.loc[placebo, "EXDOSE"] == 0).all() and (joined.loc[placebo, "ECDOSE"] > 0).all()
    assert (joined.loc[~placebo, "EXDOSE"] == joined.loc[~placebo, "ECDOSE"]).all()


def test_ex_visit_only_for_injections_on_a_visit_date(mapped, spine):
    _, ex, _ = mapped["EX"]
    sv = spine.datasets["SV"][["USUBJID", "SVSTDTC", "VISITNUM", "VISIT"]]
    joined = ex.merge(sv, left_on=["USUBJID", "EXSTDTC"], right_on=["USUBJID", "SVSTDTC"], how="left",
                      suffixes=("", "_SV"))
    assert (joined["VISITNUM"].fillna(-1) == joined["VISITNUM_SV"].fillna(-1)).all()
    assert (ex.loc[ex["EXSTDY"] == 1, "VISIT"] == "BASELINE").all()
    assert ex["VISITNUM"].isna().sum() > ex["VISITNUM"].notna().sum()  # most injections are at home


# ----------------------------------------------------------------------------- CM

def test_cm_riluzole_is_categorised_by_its_coded_name(mapped, raw_study):
    _, cm, _ = mapped["CM"]
    raw = raw_study["CM"]
    brand = raw[(_norm(raw["CMDECOD"]) == "riluzole") & (_norm(raw["CMTRT"]) != "riluzole")].iloc[0]  # e.g. Rilutek
    row = _record(cm, brand["SUBJID"], CMSPID=str(brand["CMSPID"]))
    assert row["CMTRT"] == brand["CMTRT"].strip() and row["CMDECOD"] == "RILUZOLE" and row["CMCAT"] == "BACKGROUND THERAPY"
    assert row["CMDOSE"] == brand["CMDOSE"] and row["CMINDC"] == brand["CMINDC"].strip()
    assert row["CMSTDTC"] == brand["CMSTDAT"]
    other = cm[cm["CMDECOD"] != "RILUZOLE"]
    assert len(other) and (other["CMCAT"] == "CONCOMITANT MEDICATION").all()


def test_cm_messy_frequency_and_route_map_to_ct(mapped, raw_study):
    # expected terms written out from COM.CM.CT, independently of ctmap.csv
    freq = {"once daily": "QD", "twice daily": "BID", "three times daily": "TID", "as needed": "PRN",
            "once weekly": "1 TIME PER WEEK"}
    route = {"oral": "ORAL", "subcutaneous": "SUBCUTANEOUS", "inhalation": "RESPIRATORY (INHALATION)",
             "transdermal": "TRANSDERMAL", "gastrostomy": "INTRAGASTRIC"}
    _, cm, _ = mapped["CM"]
    raw = raw_study["CM"]
    for column, terms in (("CMDOSFRQ", freq), ("CMROUTE", route)):
        values = raw[column].fillna("")
        messy = raw[values != values.str.strip().str.capitalize()].iloc[0]  # stray spaces or odd case
        row = _record(cm, messy["SUBJID"], CMSPID=str(messy["CMSPID"]))
        assert row[column] == terms[messy[column].strip().casefold()], messy[column]
    inhaled = raw[_norm(raw["CMROUTE"]) == "inhalation"].iloc[0]
    assert _record(cm, inhaled["SUBJID"], CMSPID=str(inhaled["CMSPID"]))["CMROUTE"] == "RESPIRATORY (INHALATION)"


def test_cm_ongoing_medication_ends_relative_to_end_of_study(mapped, raw_study):
    _, cm, _ = mapped["CM"]
    raw, eos = raw_study["CM"], raw_study["EOS"]
    ongoing = raw[(_norm(raw["CMONGO"]) == "yes") & raw["CMENDAT"].isna()].iloc[0]
    row = _record(cm, ongoing["SUBJID"], CMSPID=str(ongoing["CMSPID"]))
    eosdat = eos.loc[eos["SUBJID"].str.strip() == ongoing["SUBJID"].strip(), "EOSDAT"].iloc[0]
    assert row["CMENDTC"] == "" and row["CMENRTPT"] == "ONGOING" and row["CMENTPT"] == eosdat
    assert (cm.loc[cm["CMENDTC"] != "", ["CMENRTPT", "CMENTPT"]] == "").all().all()


def test_cm_year_only_start_date_stays_partial(mapped, raw_study):
    _, cm, _ = mapped["CM"]
    raw = raw_study["CM"]
    year_only = raw[raw["CMSTDAT"].str.len() == 4].iloc[0]
    row = _record(cm, year_only["SUBJID"], CMSPID=str(year_only["CMSPID"]))
    assert row["CMSTDTC"] == year_only["CMSTDAT"] and pd.isna(row["CMSTDY"])


# ----------------------------------------------------------------------------- AE

def test_ae_values_come_from_the_raw_form(mapped, raw_study):
    _, ae, _ = mapped["AE"]
    raw = raw_study["AE"]
    messy = raw[raw["AEOUT"] != raw["AEOUT"].str.strip()].iloc[0]  # stray spaces in the export
    row = _record(ae, messy["SUBJID"], AESPID=str(messy["AESPID"]))
    assert row["AETERM"] == messy["AETERM"].strip() and row["AEDECOD"] == messy["AEDECOD"].strip()
    assert row["AEBODSYS"] == messy["AEBODSYS"].strip() == row["AESOC"]
    assert row["AEOUT"] == messy["AEOUT"].strip().upper()
    assert row["AESEV"] == messy["AESEV"].strip().upper() and row["AEREL"] == messy["AEREL"].strip().upper()
    assert row["AESER"] == messy["AESER"].strip()[0].upper() and row["AEACN"] == messy["AEACN"].strip().upper()
    assert row["AESTDTC"] == messy["AESTDAT"] and row["AEENDTC"] == (messy["AEENDAT"] if pd.notna(messy["AEENDAT"]) else "")


def test_ae_partial_start_date_stays_partial(mapped, raw_study):
    _, ae, _ = mapped["AE"]
    raw = raw_study["AE"]
    partial = raw[raw["AESTDAT"].str.len() == 7].iloc[0]
    row = _record(ae, partial["SUBJID"], AESPID=str(partial["AESPID"]))
    assert row["AESTDTC"] == partial["AESTDAT"] and pd.isna(row["AESTDY"])


def test_ae_partial_date_gets_the_epoch_only_within_one_element(mapped, spine):
    _, ae, _ = mapped["AE"]
    se = spine.datasets["SE"]
    partial = ae[ae["AESTDTC"].str.len() == 7]
    assert partial["EPOCH"].ne("").any()
    for _, row in partial.iterrows():
        first = pd.Timestamp(row["AESTDTC"] + "-01")
        last = first + pd.offsets.MonthEnd(0)
        elements = se[se["USUBJID"] == row["USUBJID"]]
        start, end = pd.to_datetime(elements["SESTDTC"]), pd.to_datetime(elements["SEENDTC"])
        inside = elements[(start <= first) & ((last < end) | ((last == end) & (end == end.max())))]
        assert row["EPOCH"] == (inside["EPOCH"].iloc[0] if len(inside) else ""), row["AESTDTC"]


def test_ae_fatal_event_results_in_death(mapped, raw_study):
    _, ae, _ = mapped["AE"]
    raw = raw_study["AE"]
    fatal = raw[_norm(raw["AEOUT"]) == "fatal"].iloc[0]
    row = _record(ae, fatal["SUBJID"], AESPID=str(fatal["AESPID"]))
    assert (row["AEOUT"], row["AESDTH"], row["AESER"]) == ("FATAL", "Y", "Y")
    assert row["AESHOSP"] == {"yes": "Y", "no": "N"}.get(str(fatal["AESHOSP"]).strip().casefold(), "")


# ----------------------------------------------------------------------------- MH

def test_mh_als_history_has_symptom_onset_and_diagnosis_records(mapped, raw_study, spine):
    _, mh, frame = mapped["MH"]
    enrol = raw_study["ENROL"].iloc[0]
    als = mh[(mh["USUBJID"] == f"MIROCALS-{enrol['SUBJID'].strip()}") & (mh["MHCAT"] == "PRIMARY DIAGNOSIS")]
    assert dict(zip(als["MHEVDTYP"], als["MHSTDTC"])) == {"SYMPTOM ONSET": enrol["ONSETDAT"], "DIAGNOSIS": enrol["DIAGDAT"]}
    assert (als["MHTERM"] == "AMYOTROPHIC LATERAL SCLEROSIS").all() and (als["MHPRESP"] == "Y").all()
    assert (als["MHENRTPT"] == "ONGOING").all() and (als["MHENTPT"] == enrol["SCRNDAT"]).all()
    # two records per randomised subject, none for screen failures
    from_enrol = frame[frame["_FORM"] == "ENROL"]
    assert len(from_enrol) == 2 * (len(raw_study["ENROL"]) - len(spine.screen_failures))
    assert not from_enrol["USUBJID"].str.removeprefix("MIROCALS-").isin(spine.screen_failures).any()


def test_mh_partial_onset_date_stays_partial(mapped, raw_study):
    _, mh, _ = mapped["MH"]
    enrol = raw_study["ENROL"]
    partial = enrol[enrol["ONSETDAT"].str.len() < 10].iloc[0]
    row = _record(mh, partial["SUBJID"], MHEVDTYP="SYMPTOM ONSET")
    assert row["MHSTDTC"] == partial["ONSETDAT"]


def test_mh_general_history_ended_before_screening(mapped, raw_study):
    _, mh, _ = mapped["MH"]
    raw, enrol = raw_study["MH"], raw_study["ENROL"]
    ended = raw[_norm(raw["MHONGO"]) == "no"].iloc[0]
    row = _record(mh, ended["SUBJID"], MHSPID=str(ended["MHSPID"]))
    scrndat = enrol.loc[enrol["SUBJID"].str.strip() == ended["SUBJID"].strip(), "SCRNDAT"].iloc[0]
    assert (row["MHCAT"], row["MHENRTPT"], row["MHENTPT"]) == ("GENERAL MEDICAL HISTORY", "BEFORE", scrndat)
    assert (row["MHTERM"], row["MHDECOD"], row["MHBODSYS"]) == tuple(ended[["MHTERM", "MHDECOD", "MHBODSYS"]].str.strip())
    assert row["MHSTDTC"] == (ended["MHSTDAT"] if pd.notna(ended["MHSTDAT"]) else "") and row["MHEVDTYP"] == ""


def test_mh_screen_failure_history_is_excluded(mapped, raw_study, spine):
    ctx, _, _ = mapped["MH"]
    raw = raw_study["MH"]
    sf_lines = set(raw.loc[raw["SUBJID"].str.strip().isin(spine.screen_failures), "_LINE"])
    assert sf_lines
    excluded = pd.concat(ctx.exclusions)
    assert set(excluded["LINE"]) == sf_lines and excluded["REASON"].str.startswith("screen failure").all()


# ----------------------------------------------------------------------------- PR

def test_mh_prespecified_records_say_whether_the_condition_occurred(mapped):
    """SDTMIG 3.4 MH: --OCCUR answers a pre-specified question; Pinnacle 21 SD0042 asks MHOCCUR or MHSTAT when
    MHPRESP = 'Y'. The ALS history records are pre-specified and the disease occurred; free-text history is not."""
    mh = mapped["MH"][1]
    pre = mh["MHPRESP"] == "Y"
    assert pre.sum() > 400 and (mh.loc[pre, "MHOCCUR"] == "Y").all()
    assert (mh.loc[~pre, "MHOCCUR"] == "").all() and (mh.loc[~pre, "MHPRESP"] == "").all()


def test_mh_and_dd_have_an_epoch_from_their_dates(mapped, spine, spec):
    """FDA Study Data Technical Conformance Guide 4.1.4.1 (Pinnacle 21 SD1077): EPOCH in every subject-level
    domain with timing, here MH and DD; history dated before consent lies before the first element."""
    for name in ("MH", "DD"):
        assert "EPOCH" in [v.name for v in spec.sdtm[name].variables], name
    mh = mapped["MH"][1]
    rfic = mh["USUBJID"].map(spine.datasets["DM"].set_index("USUBJID")["RFICDTC"])
    before = (mh["MHSTDTC"].str.len() == 10) & (mh["MHSTDTC"] < rfic)
    assert before.sum() > 100 and (mh.loc[before, "EPOCH"] == "").all()
    assert (mh.loc[~before & (mh["MHSTDTC"].str.len() == 10), "EPOCH"] != "").all()
    _, dd, _ = map_one(spine, "DD")
    assert (dd["EPOCH"] != "").all() and set(dd["EPOCH"]) <= {"RUN-IN", "TREATMENT", "FOLLOW-UP"}


def test_mh_start_study_day_where_the_date_allows(mapped, spine):
    """MHSTDY: the study day of a complete MHSTDTC against RFSTDTC, worked by hand (no day 0); null for a
    partial date (an onset known to the month) and for a subject never dosed."""
    mh = mapped["MH"][1]
    rfst = mh["USUBJID"].map(spine.datasets["DM"].set_index("USUBJID")["RFSTDTC"]).fillna("")
    complete = (mh["MHSTDTC"].str.len() == 10) & (rfst.str.len() == 10)
    assert complete.sum() > 400 and (~complete & (mh["MHSTDTC"] != "")).sum() > 10
    days = (pd.to_datetime(mh.loc[complete, "MHSTDTC"]) - pd.to_datetime(rfst[complete])).dt.days
    assert mh.loc[complete, "MHSTDY"].tolist() == days.where(days < 0, days + 1).tolist()
    assert mh.loc[~complete, "MHSTDY"].isna().all()
    assert (mh.loc[complete, "MHSTDY"] < 0).all()  # history precedes the first injection


def test_pr_procedures_are_coded_and_dated(mapped, raw_study):
    _, pr, _ = mapped["PR"]
    raw = raw_study["TRACH"]
    for collected, decod in (("permanent assisted ventilation", "MECHANICAL VENTILATION"), ("tracheostomy", "TRACHEOSTOMY")):
        rec = raw[_norm(raw["PRTRT"]) == collected].iloc[0]
        row = _record(pr, rec["SUBJID"], PRSTDTC=rec["PRSTDAT"])
        assert (row["PRTRT"], row["PRDECOD"]) == (rec["PRTRT"].strip().upper(), decod)
        assert row["EPOCH"] in {"TREATMENT", "FOLLOW-UP"}
