"""ADSL's site of onset, El Escorial category and exposure, checked against the raw forms they come from
(ENROL for the ALS characteristics, the INJ injection log for exposure), not against SDTM."""

from decimal import ROUND_HALF_UP, Decimal

import pytest


def _raw(raw_study, form):
    return raw_study[form].assign(USUBJID=lambda f: "MIROCALS-" + f["SUBJID"].str.strip())


def test_onset_site_and_el_escorial_category_are_the_enrolment_values(adam, raw_study, spec):
    adsl = adam["ADSL"].set_index("USUBJID")
    enrol = _raw(raw_study, "ENROL").set_index("USUBJID")
    itt = adsl.index[adsl["ITTFL"] == "Y"]
    for var in ("ONSETSIT", "ELESCAT"):
        raw = enrol.loc[itt, var].astype(str).str.strip().str.upper()
        assert adsl.loc[itt, var].tolist() == raw.tolist(), var
    order = {t.decode: float(t.term) for t in spec.adam.codelists["ELESCATN"].terms}
    assert order == {"DEFINITE": 1, "PROBABLE": 2, "PROBABLE LABORATORY-SUPPORTED": 3, "POSSIBLE": 4}
    assert (adsl.loc[itt, "ELESCATN"] == adsl.loc[itt, "ELESCAT"].map(order)).all()


def test_exposure_counts_the_injections_of_the_injection_log(adam, raw_study, spec):
    inj = _raw(raw_study, "INJ")
    given = inj[inj["INJDONE"].str.strip() == "Yes"].assign(CYCLE=lambda f: f["CYCLE"].astype(int))
    per = given.groupby("USUBJID").agg(NINJ=("CYCLE", "size"), NCYCLE=("CYCLE", "nunique"), LAST=("CYCLE", "max"))
    per_cycle = spec.study["treatment"]["injections_per_cycle"]
    adsl = adam["ADSL"].set_index("USUBJID")
    treated = adsl.index[adsl["SAFFL"] == "Y"]
    assert set(per.index) == set(treated)
    for var in ("NINJ", "NCYCLE"):
        assert adsl.loc[treated, var].astype(int).tolist() == per.loc[treated, var].tolist(), var
    assert adsl.loc[treated, "NINJPL"].tolist() == (per_cycle * per.loc[treated, "LAST"]).tolist()
    # rounded to 1 decimal as the spec says, halves away from zero (Decimal's ROUND_HALF_UP, independently)
    exact = 100 * per.loc[treated, "NINJ"] / (per_cycle * per.loc[treated, "LAST"])
    assert adsl.loc[treated, "RDI"].tolist() == [
        float(Decimal(repr(x)).quantize(Decimal("0.1"), ROUND_HALF_UP)) for x in exact]
    assert adsl.loc[treated, "RDI"].between(0, 100).all()
    never = adsl[(adsl["ITTFL"] == "Y") & (adsl["SAFFL"] != "Y")]
    assert len(never) >= 1 and (never["NINJ"] == 0).all() and never["RDI"].isna().all()
    assert adsl.loc[adsl["ITTFL"] != "Y", "NINJ"].isna().all()
