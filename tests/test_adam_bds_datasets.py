"""ADQS (ALSFRS-R) and ADRE (SVC): the scale's rule for missing items worked by hand, and the default
study's datasets checked against SDTM and ADSL, which were derived independently of them."""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.adam.adqs import prorated_total


def test_total_is_the_sum_prorated_with_one_item_missing_and_null_with_two():
    items = pd.DataFrame([[4] * 12,
                          [4] * 11 + [np.nan],                     # 11 items scored, mean 4: 48, prorated
                          [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, np.nan],  # (32 / 11) * 12 = 34.909...
                          [4] * 10 + [np.nan, np.nan],             # two missing: no total
                          [np.nan] * 12], dtype=float)
    total, dtype = prorated_total(items, max_missing=1)
    assert total.iloc[0] == 48 and dtype.iloc[0] == ""
    assert total.iloc[1] == pytest.approx(48.0) and dtype.iloc[1] == "AVERAGE"
    assert total.iloc[2] == pytest.approx(32 / 11 * 12, rel=1e-15) and dtype.iloc[2] == "AVERAGE"
    assert np.isnan(total.iloc[3]) and dtype.iloc[3] == ""
    assert np.isnan(total.iloc[4]) and dtype.iloc[4] == ""
    # with the rule relaxed to two, the fourth row is prorated: 40 / 10 * 12
    relaxed, _ = prorated_total(items, max_missing=2)
    assert relaxed.iloc[3] == pytest.approx(48.0)


@pytest.fixture(scope="module")
def adqs(adam):
    return adam["ADQS"]


@pytest.fixture(scope="module")
def adre(adam):
    return adam["ADRE"]


def _iso(dates: pd.Series) -> pd.Series:
    """ISO 8601 text of SAS dates (days since 1960-01-01), as the shaped ADaM frames hold them."""
    return (pd.Timestamp("1960-01-01") + pd.to_timedelta(dates, unit="D")).dt.strftime("%Y-%m-%d")


def test_complete_totals_equal_the_crf_total_in_sdtm(adqs, sdtm):
    """The CRF total (QSTESTCD ALSFRSTO, blank when an item is missing) is not used by ADQS: where all
    items were scored it must equal the total ADQS computed from the items."""
    qs = sdtm["QS"]
    crf = qs[(qs["QSTESTCD"] == "ALSFRSTO") & qs["QSSTRESN"].notna()]
    crf = crf.assign(ADT=crf["QSDTC"].str[:10]).set_index(["USUBJID", "ADT", "VISITNUM"])["QSSTRESN"]
    ours = adqs[(adqs["PARAMCD"] == "ALSFRST") & (adqs["DTYPE"] == "")]
    ours = ours.assign(ADT=_iso(ours["ADT"])).set_index(["USUBJID", "ADT", "VISITNUM"])["AVAL"]
    both = ours.to_frame("ours").join(crf.rename("crf"), how="inner")
    assert len(both) > 1000 and len(both) == len(ours)
    assert (both["ours"] == both["crf"]).all()


def test_subscores_add_up_to_the_total_and_each_is_three_items(adqs):
    wide = adqs.pivot_table(index=["USUBJID", "ADT", "VISITNUM"], columns="PARAMCD", values="AVAL")
    complete = wide.dropna()
    assert len(complete) > 1000
    subs = complete[["ALSFRSBU", "ALSFRSFM", "ALSFRSGM", "ALSFRSRE"]].sum(axis=1)
    assert (subs == complete["ALSFRST"]).all()
    assert (complete["ALSFRSBU"] == complete[["ALSFRS01", "ALSFRS02", "ALSFRS03"]].sum(axis=1)).all()
    assert (complete["ALSFRSRE"] == complete[["ALSFRS10", "ALSFRS11", "ALSFRS12"]].sum(axis=1)).all()
    prorated = adqs[adqs["DTYPE"] == "AVERAGE"]
    assert len(prorated) > 0 and set(prorated["PARAMCD"]) == {"ALSFRST"}


def test_a_prorated_total_is_the_mean_of_eleven_items_times_twelve_rounded_to_two_decimals(adqs):
    wide = adqs.pivot_table(index=["USUBJID", "ADT", "VISITNUM"], columns="PARAMCD", values="AVAL")
    items = wide[[f"ALSFRS{i:02d}" for i in range(1, 13)]]
    prorated = wide[items.isna().sum(axis=1) == 1]
    assert len(prorated) > 50
    # Worked in decimal arithmetic, independently of the package's rounding: sum x 12 / 11, halves up.
    expected = [float((Decimal(int(s)) * 12 / 11).quantize(Decimal("0.01"), ROUND_HALF_UP))
                for s in items.loc[prorated.index].sum(axis=1)]
    assert prorated["ALSFRST"].tolist() == expected
    assert any(round(x) != x for x in expected)  # some totals really are fractional
    chg = adqs.loc[(adqs["PARAMCD"] == "ALSFRST") & adqs["CHG"].notna(), "CHG"]
    assert (chg.round(2) == chg).all()  # AVAL - BASE without binary noise


def test_baselines_agree_with_adsl(adqs, adre, adam):
    adsl = adam["ADSL"].set_index("USUBJID")
    total = adqs[(adqs["PARAMCD"] == "ALSFRST") & (adqs["ABLFL"] == "Y") & (adqs["DTYPE"] == "")]
    assert len(total) > 150
    assert (total["AVAL"].to_numpy() == total["USUBJID"].map(adsl["ALSFRSBL"]).to_numpy()).all()
    svc = adre[(adre["PARAMCD"] == "SVCPP") & (adre["ABLFL"] == "Y")]
    assert len(svc) > 150
    np.testing.assert_allclose(svc["AVAL"], svc["USUBJID"].map(adsl["SVCPPBL"]), rtol=1e-12)
    assert (svc["ADT"] <= svc["RANDDT"]).all()


@pytest.mark.parametrize("name, domain", [("ADQS", "QS"), ("ADRE", "RE")])
def test_collected_values_trace_to_their_sdtm_record(adam, sdtm, name, domain):
    d = adam[name]
    collected = d[d["SRCDOM"] == domain]
    src = sdtm[domain].set_index(["USUBJID", f"{domain}SEQ"])
    found = src.reindex(pd.MultiIndex.from_arrays([collected["USUBJID"], collected["SRCSEQ"]]))
    assert found[f"{domain}TESTCD"].notna().all()
    assert (found[f"{domain}TESTCD"].to_numpy() == collected["PARAMCD"].to_numpy()).all()
    np.testing.assert_array_equal(found[f"{domain}STRESN"].to_numpy(), collected["AVAL"].to_numpy())
    assert (found[f"{domain}DTC"].str[:10].to_numpy() == _iso(collected["ADT"]).to_numpy()).all()
    # the records without a source are exactly the computed parameters (ADQS total and subscores)
    computed = d["PARAMTYP"] == "DERIVED" if "PARAMTYP" in d else pd.Series(False, index=d.index)
    assert ((d["SRCDOM"] == "") == computed).all()


@pytest.mark.parametrize("name", ["ADQS", "ADRE"])
def test_bds_timing_baseline_change_and_analysis_flag(adam, spec, name):
    d = adam[name]
    # one baseline per subject and parameter, on or before randomisation, and BASE its value
    base = d[d["ABLFL"] == "Y"]
    assert not base.duplicated(["USUBJID", "PARAMCD"]).any()
    assert (base["ADT"] <= base["RANDDT"]).all()
    post = d[d["ADT"] > d["RANDDT"]]
    np.testing.assert_allclose(post["CHG"], post["AVAL"] - post["BASE"], rtol=1e-12)
    assert d.loc[d["ADT"] <= d["RANDDT"], "CHG"].isna().all()
    # ADY from randomisation, without a day 0
    days = d["ADT"] - d["RANDDT"]
    assert (d["ADY"] == np.where(days >= 0, days + 1, days)).all()
    # windows by the table in specs, and one analysis record per subject, parameter and visit after baseline
    for w in (w for w in spec.windows if w.dataset == name):
        inside = d["ADY"].between(w.awlo, w.awhi)
        assert (d.loc[inside, "AVISIT"] == w.avisit).all()
    flagged = d[(d["ANL01FL"] == "Y") & (d["ABLFL"] != "Y")]
    assert not flagged.duplicated(["USUBJID", "PARAMCD", "AVISITN"]).any()
    assert flagged["AVAL"].notna().all() and (flagged["AVISIT"] != "").all()
    nearest = d[(d["AVISIT"] != "") & d["AVAL"].notna() & (d["ADT"] > d["RANDDT"])]
    best = nearest.groupby(["USUBJID", "PARAMCD", "AVISITN"])["AWTDIFF"].min()
    got = flagged.set_index(["USUBJID", "PARAMCD", "AVISITN"])["AWTDIFF"]
    assert (got.reindex(best.index) == best).all()
    # ITT subjects only, with their ADSL treatment
    adsl = adam["ADSL"].set_index("USUBJID")
    assert (d["USUBJID"].map(adsl["ITTFL"]) == "Y").all()
    assert (d["TRTP"] == d["USUBJID"].map(adsl["TRT01P"])).all()
