"""The SDTM spine: TE, TA, TV, DM, SE and SV, checked against the raw source for specific subjects."""

import dataclasses

import pandas as pd

from conftest import assert_passes_schema, map_one

from cdisc_mirocals.sdtm import SPINE, mapper
from cdisc_mirocals.metadata import conform
from cdisc_mirocals.sdtm.context import Context


def _raw(raw_study, form, subjid):
    df = raw_study[form]
    return df[df["SUBJID"].str.strip() == subjid]


def _by_subject(raw_study, form):
    df = raw_study[form]
    return df.assign(SUBJID=df["SUBJID"].str.strip()).set_index("SUBJID", drop=False)


def _edited(raw_study, form, edits: dict[str, dict], drop: tuple[str, ...] = ()):
    """A copy of the raw study with {subjid: {column: value}} set on `form` and the subjects `drop` removed from it."""
    df = raw_study[form].copy()
    subj = df["SUBJID"].str.strip()
    for subjid, values in edits.items():
        for column, value in values.items():
            df.loc[subj == subjid, column] = value
    df = df[~subj.isin(drop)]
    return dataclasses.replace(raw_study, forms={**raw_study.forms, form: df})


def _spine_of(raw, spec) -> dict[str, pd.DataFrame]:
    """The conformed spine mapped from `raw`."""
    ctx = Context(raw, spec)
    for name in SPINE:
        ctx.datasets[name] = mapper(name)(ctx)
    return {name: conform(ctx.datasets[name], spec.sdtm[name]) for name in SPINE}


def _day(iso: str, days: int) -> str:
    return (pd.Timestamp(iso) + pd.Timedelta(days=days)).strftime("%Y-%m-%d")


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


def test_dm_rfpendtc_is_the_last_contact_and_never_after_death(raw_study, spec):
    eos, death = _by_subject(raw_study, "EOS"), _by_subject(raw_study, "DEATH")
    # The simulator sets LSTALVDT to the death date; last seen alive before death, or (a data error) after it:
    after_study = [s for s in death.index if eos.loc[s, "EOSDAT"] < death.loc[s, "DTHDAT"]]
    seen_before, seen_after = after_study[:2]
    raw = _edited(raw_study, "EOS", {seen_before: {"LSTALVDT": eos.loc[seen_before, "EOSDAT"]},
                                     seen_after: {"LSTALVDT": _day(death.loc[seen_after, "DTHDAT"], 10)}})
    spine = _spine_of(raw, spec)
    dm = spine["DM"].set_index("SUBJID")
    for subj in (seen_before, seen_after):
        assert dm.loc[subj, "RFPENDTC"] == dm.loc[subj, "DTHDTC"] == death.loc[subj, "DTHDAT"], subj
        last = spine["SE"][spine["SE"]["USUBJID"] == f"MIROCALS-{subj}"].sort_values("TAETORD").iloc[-1]
        assert last["SEENDTC"] == death.loc[subj, "DTHDAT"], subj
    alive = eos[~eos.index.isin(death.index)]
    assert dm.loc[alive.index, "RFPENDTC"].tolist() == alive[["EOSDAT", "LSTALVDT"]].max(axis=1).tolist()


def test_dm_dthfl_flags_a_death_report_or_a_ds_death_record(raw_study, spec):
    eos, death = _by_subject(raw_study, "EOS"), _by_subject(raw_study, "DEATH")
    status, reason = (eos[c].fillna("").str.strip().str.casefold() for c in ("EOSSTAT", "EOTREAS"))
    reported = eos.index.isin(death.index)
    died_on_study = eos.index[(status == "death") & reported][0]  # DS STUDY PARTICIPATION record DEATH
    died_on_treatment = eos.index[(reason == "death") & reported][1]  # DS STUDY TREATMENT record DEATH
    died_later = eos.index[(status == "completed") & reported][0]  # DS SURVIVAL FOLLOW-UP death from the DEATH form
    # Without their death reports, only the first two keep a DS record DEATH.
    raw = _edited(raw_study, "EOS", {died_on_treatment: {"EOSSTAT": "Completed"}})
    raw = _edited(raw, "DEATH", {}, drop=(died_on_study, died_on_treatment, died_later))
    dm = _spine_of(raw, spec)["DM"].set_index("SUBJID")
    assert (dm.loc[[died_on_study, died_on_treatment, died_later], "DTHDTC"] == "").all()
    assert dm.loc[died_on_study, "DTHFL"] == "Y" and dm.loc[died_on_treatment, "DTHFL"] == "Y"
    assert dm.loc[died_later, "DTHFL"] == ""
    flagged = set(dm.index[dm["DTHFL"] == "Y"])
    assert flagged == set(raw["DEATH"]["SUBJID"].str.strip()) | {died_on_study, died_on_treatment}


def test_se_elements_are_contiguous_and_follow_ta(spine, spec):
    _, se, _ = map_one(spine, "SE")
    assert_passes_schema(se, spec, "SE")
    for _, elements in se.sort_values(["USUBJID", "TAETORD"]).groupby("USUBJID"):
        assert (elements["SESTDTC"].iloc[1:].to_numpy() == elements["SEENDTC"].iloc[:-1].to_numpy()).all()
        assert elements["ETCD"].iloc[0] == "SCRN"
    _, dm, _ = map_one(spine, "DM")
    dm = dm.set_index("USUBJID")
    treated = se[se["ETCD"].isin(["IL2", "PBO"])].set_index("USUBJID")
    # the treatment element starts at first dose; only dosed subjects enter it
    assert set(treated.index) == set(dm.index[dm["RFXSTDTC"] != ""])
    assert (treated["SESTDTC"] == dm.loc[treated.index, "RFXSTDTC"]).all()
    assert (treated["ETCD"] == dm.loc[treated.index, "ARMCD"]).all()
    assert (treated["EPOCH"] == "TREATMENT").all() and (treated["SESTDY"] == 1).all()
    assert set(se.loc[se["ETCD"] == "FU", "USUBJID"]) <= set(treated.index)
    # every element ends on or after its start, the last one at RFPENDTC
    assert (se["SESTDTC"] <= se["SEENDTC"]).all()
    last = se.sort_values(["USUBJID", "TAETORD"]).groupby("USUBJID").tail(1).set_index("USUBJID")
    assert (last["SEENDTC"] == dm.loc[last.index, "RFPENDTC"]).all()


def test_se_a_subject_randomised_but_never_dosed_stays_in_the_run_in(spine, raw_study):
    _, dm, _ = map_one(spine, "DM")
    _, se, _ = map_one(spine, "SE")
    rand = _by_subject(raw_study, "RAND")
    inj = _by_subject(raw_study, "INJ")
    given = inj.loc[inj["INJDONE"].str.strip().str.casefold() == "yes", "SUBJID"]
    never = sorted(set(rand["SUBJID"]) - set(given))
    assert len(never) == 1  # the default study has one
    subj = never[0]
    row = dm.set_index("SUBJID").loc[subj]
    assert row["ARMNRS"] == "ASSIGNED, NOT TREATED" and row["RFXSTDTC"] == ""
    elements = se[se["USUBJID"] == f"MIROCALS-{subj}"].sort_values("TAETORD")
    assert elements["ETCD"].tolist() == ["SCRN", "RUNIN"]
    enrol = _by_subject(raw_study, "ENROL").loc[subj]
    assert elements["SESTDTC"].tolist() == [enrol["CONSDAT"], enrol["SCRNDAT"]]
    assert elements["SEENDTC"].tolist() == [enrol["SCRNDAT"], row["RFPENDTC"]]


def test_dm_reference_dates_of_subjects_with_a_null_arm(spine, raw_study):
    """SDTMIG 3.4 DM: RFSTDTC is null whenever ARMNRS is populated (assumption 9, CDISC CG0534, P21 SD1373);
    RFENDTC is "required for all randomized subjects; null for screen failures or unassigned subjects" (the
    variable's definition, CG0529, P21 SD0088), so the subject randomised and never dosed has it, at his end of
    study, and the screen failures have none (docs/conformance-decisions.md)."""
    _, dm, _ = map_one(spine, "DM")
    reason = dm[dm["ARMNRS"] != ""]
    assert set(reason["ARMNRS"]) == {"SCREEN FAILURE", "ASSIGNED, NOT TREATED"}
    assert (reason["RFSTDTC"] == "").all()
    eos = _by_subject(raw_study, "EOS")
    for _, row in reason.iterrows():
        if row["ARMNRS"] == "SCREEN FAILURE":
            assert row["RFENDTC"] == "", row["USUBJID"]
        else:
            assert row["RFENDTC"] != "" and row["RFENDTC"] == eos.loc[row["SUBJID"], "EOSDAT"]
    treated = dm[dm["ACTARMCD"] != ""]
    assert (treated["RFSTDTC"] == treated["RFXSTDTC"]).all() and (treated["RFENDTC"] != "").all()


def test_dm_race_and_ethnicity_not_recorded_are_not_reported(spine, raw_study):
    """COM.DM.RACE: a blank raw RACE or ETHNIC becomes 'NOT REPORTED', never a null."""
    _, dm, _ = map_one(spine, "DM")
    enrol = _by_subject(raw_study, "ENROL")
    for column in ("RACE", "ETHNIC"):
        blank = enrol.loc[enrol[column].fillna("").str.strip() == "", "SUBJID"]
        assert len(blank) > 0, column  # French sites leave them blank
        got = dm.set_index("SUBJID")[column]
        assert (got.loc[blank] == "NOT REPORTED").all() and (got != "").all(), column


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
    rfstdtc = spine.datasets["DM"].set_index("USUBJID")["RFSTDTC"]
    no_reference = baseline["USUBJID"].map(rfstdtc).fillna("") == ""  # never dosed: no RFSTDTC (SD1373)
    assert (baseline.loc[~no_reference, "SVSTDY"] == 1).all() and baseline.loc[no_reference, "SVSTDY"].isna().all()
    # the reason is not collected: SVUPDES as COM.SV states it
    assert (unsched["SVUPDES"] == "UNSCHEDULED VISIT, REASON NOT COLLECTED").all() and (planned["SVUPDES"] == "").all()
    assert "SVUPDES = 'UNSCHEDULED VISIT, REASON NOT COLLECTED'" in spec.sdtm.comments["COM.SV.SVUPDES"].description


def test_sv_holds_the_screening_visit_of_screen_failures(spine, raw_study):
    _, sv, _ = map_one(spine, "SV")
    visits = _by_subject(raw_study, "VISIT")
    failed = visits[~visits["SUBJID"].isin(_by_subject(raw_study, "RAND").index)]
    assert len(failed) > 0 and (failed["VISIT"].str.strip().str.casefold() == "screening").all()
    usubjid = "MIROCALS-" + failed["SUBJID"]
    got = sv[sv["USUBJID"].isin(usubjid)]
    assert sorted(zip(got["USUBJID"], got["VISIT"], got["VISITNUM"], got["SVSTDTC"])) == \
        sorted(zip(usubjid, ["SCREENING"] * len(failed), [1.0] * len(failed), failed["VISDAT"]))
    assert got["SVSTDY"].isna().all()  # no RFSTDTC


def test_trial_design_follows_study_toml(spine, spec):
    for name in ("TE", "TA", "TV"):
        _, frame, _ = map_one(spine, name)
        assert_passes_schema(frame, spec, name)
    _, tv, _ = map_one(spine, "TV")
    assert tv["VISIT"].tolist() == [v["visit"] for v in spec.study["schedule"]["visits"]]
    _, ta, _ = map_one(spine, "TA")
    assert len(ta) == 8 and set(ta["EPOCH"]) == {"SCREENING", "RUN-IN", "TREATMENT", "FOLLOW-UP"}
    # each arm's own branch out of the run-in, and its transition out of treatment (SDTMIG TA, COM.TA)
    rules = ta[(ta["TABRANCH"] != "") | (ta["TATRANS"] != "")].set_index(["ARMCD", "ETCD"])
    assert rules[["TAETORD", "TABRANCH", "TATRANS"]].to_dict("index") == {
        ("IL2", "RUNIN"): {"TAETORD": 2, "TABRANCH": "Randomised to Aldesleukin 2 MIU", "TATRANS": ""},
        ("PBO", "RUNIN"): {"TAETORD": 2, "TABRANCH": "Randomised to Placebo", "TATRANS": ""},
        ("IL2", "IL2"): {"TAETORD": 3, "TABRANCH": "", "TATRANS": "If treatment stops early, go to FU"},
        ("PBO", "PBO"): {"TAETORD": 3, "TABRANCH": "", "TATRANS": "If treatment stops early, go to FU"},
    }


def test_no_permissible_variable_is_always_empty_in_the_spine_and_ie(spine, spec):
    """SE.SEUPDES (no unplanned element) and TV.TVENRL (a visit is one contact) could never be filled: the
    spec drops them rather than submit empty columns. (IE.IEDY is kept: a subject dosed despite a criterion
    not met has one, test_iedy_is_given_where_the_subject_has_a_reference_start.)"""
    for dataset, variable in (("SE", "SEUPDES"), ("TV", "TVENRL")):
        assert variable not in [v.name for v in spec.sdtm[dataset].variables], variable
    for name in ("SE", "TV", "SV", "TA", "TE"):
        frame = conform(spine.datasets[name], spec.sdtm[name])
        for var in spec.sdtm[name].variables:
            if var.core == "Perm":
                assert frame[var.name].notna().any() and (frame[var.name].astype("string") != "").any(), var.name
