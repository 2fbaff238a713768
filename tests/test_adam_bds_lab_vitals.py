"""ADLB and ADVS of the default study, checked against SDTM LB, CP and VS record by record, and against
the rules of their methods (baseline, changes, analysis visits and flags, derived records, grades)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.dates import to_date


@pytest.fixture(scope="module")
def adlb(adam):
    return adam["ADLB"]


@pytest.fixture(scope="module")
def advs(adam):
    return adam["ADVS"]


def _sas(d: pd.Series) -> pd.Series:
    """ADaM dates as the shaped frame holds them (SAS day numbers) or as timestamps."""
    return pd.to_datetime(d, unit="D", origin="1960-01-01") if pd.api.types.is_numeric_dtype(d) else d


def test_every_sdtm_result_is_one_adlb_record_traceable_by_srcseq(adlb, sdtm, adam):
    observed = adlb[adlb["DTYPE"] == ""]
    in_adsl = set(adam["ADSL"]["USUBJID"])
    for domain in ("LB", "CP"):
        src = sdtm[domain]
        src = src[src[f"{domain}STRESN"].notna() & src["USUBJID"].isin(in_adsl)]
        mine = observed[observed["SRCDOM"] == domain]
        assert len(mine) == len(src) and (mine["SRCVAR"] == f"{domain}STRESN").all()
        merged = mine.merge(src, left_on=["USUBJID", "SRCSEQ"], right_on=["USUBJID", f"{domain}SEQ"], how="left",
                            validate="one_to_one")
        assert (merged["AVAL"] == merged[f"{domain}STRESN"]).all()
        assert (merged["PARAMCD"] == merged[f"{domain}TESTCD"]).all()
        assert (_sas(merged["ADT"]) == to_date(merged[f"{domain}DTC"])).all()
    assert not observed.duplicated(["USUBJID", "SRCDOM", "SRCSEQ"]).any()


@pytest.mark.parametrize("name", ["ADLB", "ADVS"])
def test_baseline_is_the_last_value_on_or_before_the_first_injection_and_changes_follow(adam, name):
    d, adsl = adam[name], adam["ADSL"].set_index("USUBJID")
    observed = d[d.get("DTYPE", pd.Series("", index=d.index)) == ""]
    ref = observed["USUBJID"].map(adsl["TRTSDT"]).fillna(observed["USUBJID"].map(adsl["RANDDT"]))
    base = observed[observed["ABLFL"] == "Y"]
    assert not base.duplicated(["USUBJID", "PARAMCD"]).any() and (base["ADT"] <= ref[base.index]).all()
    # no later candidate: a value on or before the reference date after the baseline one
    candidates = observed[(observed["ADT"] <= ref) & observed["AVAL"].notna()]
    if "ATPTN" in observed:
        candidates = candidates[candidates["ATPTN"].isna() | (candidates["ATPTN"] == 1)]
    last = candidates.sort_values(["USUBJID", "PARAMCD", "ADT", "SRCSEQ"]).groupby(["USUBJID", "PARAMCD"]).tail(1)
    assert set(last.index) == set(base.index)
    by_key = base.set_index(["USUBJID", "PARAMCD"])["AVAL"]
    expected_base = pd.Series(list(zip(d["USUBJID"], d["PARAMCD"]))).map(by_key).to_numpy()
    np.testing.assert_array_equal(d["BASE"].to_numpy(float), expected_base.astype(float))
    post = d["ADT"] > d["USUBJID"].map(adsl["TRTSDT"]).fillna(d["USUBJID"].map(adsl["RANDDT"]))
    np.testing.assert_allclose(d.loc[post, "CHG"], d.loc[post, "AVAL"] - d.loc[post, "BASE"])
    assert d.loc[~post, "CHG"].isna().all()
    ok = post & d["BASE"].ne(0) & d["BASE"].notna()
    # PCHG to 2 decimals (MT.ADLB.PCHG); CHG too, the precision of the values, so it is their exact difference
    np.testing.assert_allclose(d.loc[ok, "PCHG"], 100 * d.loc[ok, "CHG"] / d.loc[ok, "BASE"], rtol=0, atol=0.005 + 1e-9)
    assert (d.loc[ok, "PCHG"] * 100 - (d.loc[ok, "PCHG"] * 100).round()).abs().max() < 1e-6
    chg = d.loc[post, "CHG"].dropna()
    assert (chg * 100 - (chg * 100).round()).abs().max() < 1e-6


@pytest.mark.parametrize("name", ["ADLB", "ADVS"])
def test_one_analysis_record_per_subject_parameter_and_visit(adam, name):
    d = adam[name]
    by = ["USUBJID", "PARAMCD", "AVISIT"] + (["ATPT"] if name == "ADLB" else [])
    flagged = d[d["ANL01FL"] == "Y"]
    assert not flagged.duplicated(by).any() and (flagged["AVISIT"] != "").all()
    windowed = d[(d["AVISIT"] != "") & d["AVAL"].notna() & (d.get("DTYPE", "") == "")]
    assert len(flagged) == len(windowed.drop_duplicates(by))
    # of two records in one window, the one nearest the target day
    w = windowed.assign(_n=windowed.groupby(by)["USUBJID"].transform("size"))
    several = w[w["_n"] > 1]
    nearest = several.groupby(by)["AWTDIFF"].transform("min")
    assert (several.loc[several["ANL01FL"] == "Y", "AWTDIFF"] == nearest[several["ANL01FL"] == "Y"]).all()
    assert len(several) > 0


def test_analysis_visits_follow_the_windows_and_treg_samples_their_cycle(adlb, spec):
    windows = {w.avisit: w for w in spec.windows if w.dataset == "ADLB"}
    lab = adlb[(adlb["SRCDOM"] == "LB") & (adlb["AVISIT"] != "") & (adlb["DTYPE"] == "")]
    lo = lab["AVISIT"].map(lambda v: windows[v].awlo)
    hi = lab["AVISIT"].map(lambda v: windows[v].awhi)
    assert ((lab["ADY"] >= lo) & (lab["ADY"] <= hi)).all()
    assert (lab["AWLO"] == lo).all() and (lab["AWTDIFF"] == (lab["ADY"] - lab["AWTARGET"]).abs()).all()
    treg = adlb[adlb["SRCDOM"] == "CP"]
    assert (treg["AVISIT"] == treg["VISIT"]).all() and treg["AWLO"].isna().all()
    assert set(treg["ATPT"]) == {"PRE-CYCLE", "END OF CYCLE"}


def test_minimum_and_maximum_records_are_the_extremes_on_treatment(adlb):
    on = adlb[(adlb["DTYPE"] == "") & (adlb["ONTRTFL"] == "Y") & adlb["CHG"].notna()]
    ranged = set(adlb.loc[adlb["ANRHI"].notna(), "PARAMCD"])
    for dtype, how in (("MINIMUM", "min"), ("MAXIMUM", "max")):
        derived = adlb[adlb["DTYPE"] == dtype]
        assert set(derived["PARAMCD"]) == ranged and not derived.duplicated(["USUBJID", "PARAMCD"]).any()
        expected = on[on["PARAMCD"].isin(ranged)].groupby(["USUBJID", "PARAMCD"])["AVAL"].agg(how)
        got = derived.set_index(["USUBJID", "PARAMCD"])["AVAL"]
        pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
        assert (derived["AVISIT"] == f"POST-BASELINE {dtype}").all() and (derived["ANL01FL"] == "").all()


def test_reference_range_indicators_shifts_and_grades(adlb):
    r = adlb[adlb["ANRHI"].notna()]
    expected = np.where(r["AVAL"] < r["ANRLO"], "LOW", np.where(r["AVAL"] > r["ANRHI"], "HIGH", "NORMAL"))
    assert (r["ANRIND"] == expected).all()
    assert (adlb.loc[adlb["ANRHI"].isna(), "ANRIND"] == "").all()
    shifted = r[r["SHIFT1"] != ""]
    assert (shifted["SHIFT1"] == shifted["BNRIND"].replace("", "MISSING") + " to " + shifted["ANRIND"]).all()
    # CTCAE v5.0 Anemia, by hand: grade 3 below 80 g/L, 2 below 100, 1 below the LLN
    hgb = adlb[(adlb["PARAMCD"] == "HGB")]
    grade = np.select([hgb["AVAL"] < 80, hgb["AVAL"] < 100, hgb["AVAL"] < hgb["ANRLO"]], ["3", "2", "1"], "0")
    assert (hgb["ATOXGRL"] == grade).all() and (hgb["ATOXDSCL"] == "Anemia").all()
    # ALT with a normal baseline: grade 1 above the ULN up to 3 x ULN
    alt = adlb[(adlb["PARAMCD"] == "ALT") & (adlb["BNRIND"] == "NORMAL")]
    g1 = alt[(alt["AVAL"] > alt["ANRHI"]) & (alt["AVAL"] <= 3 * alt["ANRHI"])]
    assert len(g1) > 0 and (g1["ATOXGRH"] == "1").all() and (g1["ATOXGR"] == "1").all()
    assert (adlb.loc[adlb["PARAMCD"].isin(["NFHP", "TLR"]), "ATOXGR"] == "").all()
    base = adlb[adlb["ABLFL"] == "Y"].set_index(["USUBJID", "PARAMCD"])["ATOXGR"]
    keyed = pd.Series(list(zip(adlb["USUBJID"], adlb["PARAMCD"])), index=adlb.index).map(base).fillna("")
    assert (adlb["BTOXGR"] == keyed).all()


def test_laboratory_values_are_mostly_normal_with_occasional_low_grade_toxicity(adlb):
    """The simulator's calibration (docs/simulator.md): most results inside the reference range, and the
    worst on-treatment grades mostly 1, some 2, none 3 or more in the default study."""
    on = adlb[(adlb["DTYPE"] == "") & (adlb["ONTRTFL"] == "Y") & (adlb["ANRIND"] != "")]
    assert (on["ANRIND"] == "NORMAL").mean() > 0.9
    grades = pd.concat([on["ATOXGRL"], on["ATOXGRH"]])
    grades = grades[grades != ""].astype(int)
    assert (grades == 0).mean() > 0.95 and (grades == 1).sum() > 20 and (grades == 2).sum() >= 1
    assert (grades >= 3).sum() == 0


def test_advs_bmi_is_computed_from_weight_and_screening_height_and_matches_sdtm(advs, sdtm):
    bmi = advs[advs["PARAMCD"] == "BMI"]
    assert (bmi["SRCDOM"] == "").all() and bmi["SRCSEQ"].isna().all()
    weight = advs[advs["PARAMCD"] == "WEIGHT"].set_index(["USUBJID", "ADT"])["AVAL"]
    height = advs[advs["PARAMCD"] == "HEIGHT"].set_index("USUBJID")["AVAL"]
    keys = list(zip(bmi["USUBJID"], bmi["ADT"]))
    exact = weight.loc[keys].to_numpy() / (bmi["USUBJID"].map(height) / 100) ** 2
    np.testing.assert_allclose(bmi["AVAL"], exact, rtol=0, atol=0.005 + 1e-9)  # 2 decimals (MT.ADVS.BMI)
    # SDTM VS carries the same BMI rounded to 1 decimal
    vs = sdtm["VS"][sdtm["VS"]["VSTESTCD"] == "BMI"].assign(ADT=lambda f: to_date(f["VSDTC"]))
    both = bmi.assign(ADT=_sas(bmi["ADT"])).merge(vs, on=["USUBJID", "ADT"])
    assert len(both) > 0.9 * len(bmi) and (both["AVAL"] - both["VSSTRESN"]).abs().max() <= 0.055 + 1e-9


def test_two_weights_on_one_day_give_two_bmis_flagged_as_their_weights_are(sdtm, advs, spec):
    """A screening and a baseline weight on the same date (seen at 22,000 subjects): the two computed BMIs
    have no SRCSEQ, so ANL01FL orders them by the --SEQ of the weight each is computed from."""
    from cdisc_mirocals.adam.adsl import derive_adsl
    from cdisc_mirocals.adam.advs import derive_advs

    vs = sdtm["VS"]
    chosen = advs[(advs["PARAMCD"] == "WEIGHT") & (advs["ANL01FL"] == "Y") & (advs["AVISIT"] == "MONTH 6")].iloc[0]
    first = vs[(vs["USUBJID"] == chosen["USUBJID"]) & (vs["VSSEQ"] == chosen["SRCSEQ"])].iloc[0]
    twin = first.copy()
    twin["VSSEQ"] = vs.loc[vs["USUBJID"] == first["USUBJID"], "VSSEQ"].max() + 1
    twin["VSSTRESN"] = first["VSSTRESN"] + 1.0
    twin["VSORRES"], twin["VSSTRESC"] = str(twin["VSSTRESN"]), str(twin["VSSTRESN"])
    doubled = dict(sdtm, VS=pd.concat([vs, twin.to_frame().T.astype(vs.dtypes.to_dict())], ignore_index=True))
    again = derive_advs(derive_adsl(doubled, spec), doubled, spec)
    subject = again[again["USUBJID"] == first["USUBJID"]]
    mine = subject[subject["ADT"] == subject.loc[subject["SRCSEQ"] == first["VSSEQ"], "ADT"].iloc[0]]
    weights, bmis = mine[mine["PARAMCD"] == "WEIGHT"], mine[mine["PARAMCD"] == "BMI"]
    assert len(weights) == 2 and len(bmis) == 2 and bmis["SRCSEQ"].isna().all()
    flagged_weight = weights.loc[weights["ANL01FL"] == "Y", "AVAL"]
    flagged_bmi = bmis.loc[bmis["ANL01FL"] == "Y", "AVAL"]
    assert len(flagged_weight) == 1 and len(flagged_bmi) == 1
    height = subject.loc[subject["PARAMCD"] == "HEIGHT", "AVAL"].iloc[0]
    assert flagged_bmi.iloc[0] == pytest.approx(flagged_weight.iloc[0] / (height / 100) ** 2, abs=0.006)
    assert "_WEIGHTSEQ" not in again.columns
