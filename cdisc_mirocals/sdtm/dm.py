"""DM: one record per screened subject (screen failures included, with ARMNRS)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.raw.schema import normalise
from cdisc_mirocals.dates import to_date
from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.sdtm.ta import arm_names

NOT_REPORTED = "NOT REPORTED"  # COM.DM.RACE: what a blank RACE or ETHNIC becomes

def _by_subject(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.assign(_s=frame["SUBJID"].str.strip()).set_index("_s")[column]


def _age(birth: pd.Series, reference: pd.Series) -> pd.Series:
    """Completed years; a partial birth date is imputed (day 15, month 07) for the computation only."""
    text = birth.astype("string")
    full = text.where(text.str.len() == 10, text.where(text.str.len() != 7, text + "-15"))
    full = full.where(full.str.len() != 4, full + "-07-01")
    b, r = to_date(full), to_date(reference)
    had_birthday = (r.dt.month > b.dt.month) | ((r.dt.month == b.dt.month) & (r.dt.day >= b.dt.day))
    return (r.dt.year - b.dt.year - (~had_birthday).astype(int)).where(b.notna() & r.notna())


def _reported(ctx: Context, enrol: pd.DataFrame, column: str, codelist: str) -> pd.Series:
    """The collected term, or NOT REPORTED where the CRF field is blank (COM.DM.RACE)."""
    if NOT_REPORTED not in ctx.spec.sdtm.codelists[codelist].values:
        raise ValueError(f"specs/sdtm codelist {codelist} must hold the term {NOT_REPORTED!r} (COM.DM.RACE)")
    return ctx.ct(enrol, column, codelist).fillna(NOT_REPORTED)


def map_dm(ctx: Context) -> pd.DataFrame:
    enrol = ctx.form("ENROL")
    subj = enrol["SUBJID"].str.strip()
    rand, eos, death = ctx.raw["RAND"], ctx.raw["EOS"], ctx.raw["DEATH"]
    given = ctx.injections_given()
    first = given.groupby(given["SUBJID"].str.strip())["INJDAT"].min()
    last = given.groupby(given["SUBJID"].str.strip())["INJDAT"].max()
    randdt = subj.map(_by_subject(rand, "RANDDAT"))
    randomised = randdt.notna()
    tr = ctx.spec.study["treatment"]
    allocated = normalise(subj.map(_by_subject(rand, "RANDTRT")).fillna(""))
    armcd = allocated.map({tr["active_arm"].casefold(): tr["active_armcd"], tr["placebo_arm"].casefold(): tr["placebo_armcd"]})
    names = arm_names(ctx)
    dosed = subj.isin(first.index)
    actarmcd = armcd.where(dosed)
    dthdtc = subj.map(_by_subject(death, "DTHDAT"))
    eosdat = subj.map(_by_subject(eos, "EOSDAT"))
    # MT.RFPENDTC: the latest contact, ignoring dates after death (there is no contact after death).
    death_date = to_date(dthdtc)
    contact = pd.concat([to_date(eosdat), to_date(subj.map(_by_subject(eos, "LSTALVDT"))), death_date], axis=1)
    contact = contact.where(~contact.gt(death_date, axis=0)).max(axis=1)
    status = normalise(subj.map(_by_subject(eos, "EOSSTAT")).fillna(""))
    # MT.DTHFL: a death report, or a DS record DEATH; DS is mapped later, so code EOS as DS does.
    eos_form = ctx.form("EOS")
    ds_death = eos_form.loc[((ctx.ct(eos_form, "EOSSTAT", "NCOMPLT") == "DEATH")
                             | (ctx.ct(eos_form, "EOTREAS", "NCOMPLT") == "DEATH")).fillna(False), "SUBJID"]
    died = subj.isin(death["SUBJID"].str.strip()) | subj.isin(ds_death.str.strip())
    armnrs = np.select([status == "screen failure", ~randomised, randomised & ~dosed],
                       ["SCREEN FAILURE", "NOT ASSIGNED", "ASSIGNED, NOT TREATED"], "")
    rfxstdtc = subj.map(first)
    # MT.RFSTDTC: null whenever ARMNRS is populated (CG0534). MT.RFENDTC: every randomised subject's, null
    # for screen failures and subjects not assigned (SDTMIG 3.4 DM, CG0529); docs/conformance-decisions.md.
    no_arm = armnrs != ""
    return pd.DataFrame({
        "STUDYID": ctx.studyid, "DOMAIN": "DM", "USUBJID": ctx.usubjid(enrol["SUBJID"]), "SUBJID": subj,
        "RFSTDTC": rfxstdtc.where(~no_arm), "RFENDTC": eosdat.where(randomised),
        "RFXSTDTC": rfxstdtc, "RFXENDTC": subj.map(last), "RFICDTC": enrol["CONSDAT"],
        "RFPENDTC": contact.dt.strftime("%Y-%m-%d"), "DTHDTC": dthdtc, "DTHFL": np.where(died, "Y", ""),
        "SITEID": enrol["SITEID"].str.strip(), "BRTHDTC": enrol["BRTHDAT"], "AGE": _age(enrol["BRTHDAT"], enrol["CONSDAT"]),
        "AGEU": "YEARS", "SEX": ctx.ct(enrol, "SEX", "SEX"), "RACE": _reported(ctx, enrol, "RACE", "RACE"),
        "ETHNIC": _reported(ctx, enrol, "ETHNIC", "ETHNIC"),
        "ARMCD": armcd, "ARM": armcd.map(names), "ACTARMCD": actarmcd, "ACTARM": actarmcd.map(names),
        "ARMNRS": armnrs, "ACTARMUD": "", "COUNTRY": ctx.ct(enrol, "COUNTRY", "COUNTRY"),
        "_FORM": enrol["_FORM"], "_LINE": enrol["_LINE"],
    })
