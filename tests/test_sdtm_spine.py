"""The SDTM spine: TE, TA, TV, DM, SE and SV, checked against the raw source for specific subjects."""

import pandas as pd

from conftest import assert_passes_schema, map_one


def _raw(raw_study, form, subjid):
    df = raw_study[form]
    return df[df["SUBJID"].str.strip() == subjid]


def test_dm_values_come_from_the_raw_forms(spine, raw_study, spec):
    _, dm, _ = map_one(spine, "DM")
    assert_passes_schema(dm, spec, "DM")
    assert len(dm) == len(raw_study["ENROL"]) and dm["USUBJID"].is_unique
    rand = raw_study["RAND"].iloc[0]
    subj = rand["SUBJID"].strip()
    row = dm.set_index("SUBJID").loc[subj]
    enrol = _raw(raw_study, "ENROL", subj).iloc[0]
    inj = _raw(raw_study, "INJ", subj)
    given = inj[inj["INJDONE"].str.strip().str.casefold() == "yes"]
    assert row["USUBJID"] == f"MIROCALS-{subj}"
    assert row["RFICDTC"] == enrol["CONSDAT"] and row["BRTHDTC"] == enrol["BRTHDAT"]
    assert row["RFXSTDTC"] == given["INJDAT"].min() == row["RFSTDTC"]
    assert row["RFXENDTC"] == given["INJDAT"].max()
    assert row["SEX"] == {"male": "M", "female": "F"}[enrol["SEX"].strip().casefold()]
    assert row["COUNTRY"] == {"france": "FRA", "united kingdom": "GBR"}[enrol["COUNTRY"].strip().casefold()]
    expected_arm = "Placebo" if rand["RANDTRT"].strip() == "Placebo" else "Aldesleukin 2 MIU"
    assert row["ARM"] == expected_arm == row["ACTARM"]


def test_dm_age_is_completed_years_at_consent(spine, spec):
    _, dm, _ = map_one(spine, "DM")
    full = dm[dm["BRTHDTC"].str.len() == 10]
    b, c = pd.to_datetime(full["BRTHDTC"]), pd.to_datetime(full["RFICDTC"])
    expected = c.dt.year - b.dt.year - ((c.dt.month < b.dt.month) | ((c.dt.month == b.dt.month) & (c.dt.day < b.dt.day)))
    assert (full["AGE"] == expected).all()


def test_dm_screen_failures_have_no_arm_and_a_reason(spine, raw_study):
    _, dm, _ = map_one(spine, "DM")
    sf = dm[~dm["SUBJID"].isin(raw_study["RAND"]["SUBJID"].str.strip())]
    assert len(sf) > 0
    assert (sf["ARMCD"] == "").all() and (sf["ARMNRS"] == "SCREEN FAILURE").all() and (sf["RFSTDTC"] == "").all()


def test_dm_death_date_and_flag(spine, raw_study):
    _, dm, _ = map_one(spine, "DM")
    death = raw_study["DEATH"].iloc[0]
    row = dm.set_index("SUBJID").loc[death["SUBJID"].strip()]
    assert row["DTHDTC"] == death["DTHDAT"] and row["DTHFL"] == "Y" and row["RFPENDTC"] == death["DTHDAT"]
    alive = dm[(dm["DTHDTC"] == "")]
    assert (alive["DTHFL"] == "").all()


def test_se_elements_are_contiguous_and_follow_ta(spine, spec):
    _, se, _ = map_one(spine, "SE")
    assert_passes_schema(se, spec, "SE")
    for _, elements in se.sort_values(["USUBJID", "TAETORD"]).groupby("USUBJID"):
        assert (elements["SESTDTC"].iloc[1:].to_numpy() == elements["SEENDTC"].iloc[:-1].to_numpy()).all()
        assert elements["ETCD"].iloc[0] == "SCRN"
    _, dm, _ = map_one(spine, "DM")
    dm = dm.set_index("USUBJID")
    treated = se[se["ETCD"].isin(["IL2", "PBO"])].set_index("USUBJID")
    # the treatment element starts at first dose, or at randomisation for a subject never dosed
    assert (treated["SESTDTC"].to_numpy() == dm.loc[treated.index, "RFSTDTC"].to_numpy()).all()
    dosed = dm.loc[treated.index, "RFXSTDTC"] != ""
    assert dosed.mean() > 0.95
    assert (treated.loc[dosed.to_numpy(), "SESTDTC"].to_numpy() == dm.loc[treated.index[dosed.to_numpy()], "RFXSTDTC"].to_numpy()).all()
    assert (treated["EPOCH"] == "TREATMENT").all() and (treated["SESTDY"] == 1).all()


def test_sv_numbers_planned_and_unscheduled_visits(spine, raw_study, spec):
    _, sv, _ = map_one(spine, "SV")
    assert_passes_schema(sv, spec, "SV")
    planned = sv[sv["SVPRESP"] == "Y"]
    assert planned.groupby("VISIT")["VISITNUM"].nunique().eq(1).all()
    unsched = sv[sv["VISIT"].str.startswith("UNSCHEDULED")]
    assert len(unsched) > 0 and (unsched["VISITNUM"] % 1 > 0).all()
    assert (unsched["VISIT"] == "UNSCHEDULED " + unsched["VISITNUM"].map("{:.2f}".format)).all()
    # an unscheduled visit is numbered after the planned visit that precedes it
    for _, u in unsched.iterrows():
        before = planned[(planned["USUBJID"] == u["USUBJID"]) & (planned["SVSTDTC"] <= u["SVSTDTC"])]
        assert int(u["VISITNUM"]) == before["VISITNUM"].max()
    baseline = planned[planned["VISIT"] == "BASELINE"]
    assert (baseline["SVSTDY"] == 1).all()


def test_trial_design_follows_study_toml(spine, spec):
    for name in ("TE", "TA", "TV"):
        _, frame, _ = map_one(spine, name)
        assert_passes_schema(frame, spec, name)
    _, tv, _ = map_one(spine, "TV")
    assert tv["VISIT"].tolist() == [v["visit"] for v in spec.study["schedule"]["visits"]]
    _, ta, _ = map_one(spine, "TA")
    assert len(ta) == 8 and set(ta["EPOCH"]) == {"SCREENING", "RUN-IN", "TREATMENT", "FOLLOW-UP"}
