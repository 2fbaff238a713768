"""DS: protocol milestones (consent, randomisation), end of treatment and end of study, and deaths
reported after the end of study (COM.DS). Screen failures keep their consent and end-of-study records."""

import pandas as pd

from cdisc_mirocals.sdtm.common import derive_var_epoch
from cdisc_mirocals.sdtm.context import Context

MILESTONE, DISPOSITION = "PROTOCOL MILESTONE", "DISPOSITION EVENT"
# DSSCAT of the disposition records: the last one is the sponsor's term for the vital-status follow-up (COM.DS).
PARTICIPATION, TREATMENT, SURVIVAL = "STUDY PARTICIPATION", "STUDY TREATMENT", "SURVIVAL FOLLOW-UP"
DEATH, RANDOMIZED, CONSENT = "DEATH", "RANDOMIZED", "INFORMED CONSENT OBTAINED"


def _records(ctx: Context, raw: pd.DataFrame, decod, cat: str, dtc: pd.Series, scat: str = "") -> pd.DataFrame:
    # The CRF collects pre-printed responses only, so the reported term is the standard term.
    return pd.DataFrame({
        "USUBJID": ctx.usubjid(raw["SUBJID"]), "DSTERM": decod, "DSDECOD": decod, "DSCAT": cat,
        "DSSCAT": scat, "DSSTDTC": dtc, "_FORM": raw["_FORM"], "_LINE": raw["_LINE"],
    }, index=raw.index)


def _end_of_treatment(ctx: Context, eos: pd.DataFrame, death_dates: pd.Series) -> pd.DataFrame:
    """EOTSTAT 'Completed' is the term; a discontinuation is coded by its reason EOTREAS.

    DSSTDTC is the date treatment ended, the last injection (EOTDAT), except when death ended it: then the
    date of death (CDISC CG0069), also for a subject who died before the first injection (no EOTDAT).
    """
    eos = eos[eos["EOTSTAT"].fillna("").str.strip() != ""]
    has_reason = eos["EOTREAS"].fillna("").str.strip() != ""
    decod = pd.concat([ctx.ct(eos[~has_reason], "EOTSTAT", "NCOMPLT"),
                       ctx.ct(eos[has_reason], "EOTREAS", "NCOMPLT")]).reindex(eos.index)
    died = eos["SUBJID"].str.strip().map(death_dates)
    dtc = eos["EOTDAT"].where((decod != DEATH).fillna(True) | died.isna(), died)
    return _records(ctx, eos, decod, DISPOSITION, dtc, TREATMENT)


def map_ds(ctx: Context) -> pd.DataFrame:
    enrol, rand, eos, death = (ctx.form(f) for f in ("ENROL", "RAND", "EOS", "DEATH"))
    death_dates = pd.Series(death["DTHDAT"].to_numpy(), index=death["SUBJID"].str.strip())
    end_of_study = ctx.ct(eos, "EOSSTAT", "NCOMPLT")
    died_on_study = set(eos.loc[(end_of_study == DEATH).fillna(False), "SUBJID"].str.strip())
    # A death after the end of study, found by the vital-status follow-up, ends that follow-up (COM.DS).
    later = death[~death["SUBJID"].str.strip().isin(died_on_study)]
    ds = pd.concat([
        _records(ctx, enrol, CONSENT, MILESTONE, enrol["CONSDAT"]),
        _records(ctx, rand, RANDOMIZED, MILESTONE, rand["RANDDAT"]),
        _records(ctx, eos, end_of_study, DISPOSITION, eos["EOSDAT"], PARTICIPATION),
        _end_of_treatment(ctx, eos, death_dates),
        _records(ctx, later, DEATH, DISPOSITION, later["DTHDAT"], SURVIVAL),
    ], ignore_index=True).assign(STUDYID=ctx.studyid, DOMAIN="DS")
    # Consent on the screening day precedes the first riluzole dose; randomisation closes the run-in, before
    # the first injection of its day (MT.EPOCH).
    screening_day = ds["USUBJID"].map(dict(zip(ctx.usubjid(enrol["SUBJID"]), enrol["SCRNDAT"])))
    predose = (ds["DSDECOD"] == RANDOMIZED) | ((ds["DSDECOD"] == CONSENT) & (ds["DSSTDTC"] == screening_day))
    ds = derive_var_epoch(ds, ctx.datasets["SE"], dtc_var="DSSTDTC", predose=predose)
    ds = ctx.study_days(ds, {"DSSTDY": "DSSTDTC"})
    return ctx.number_records(ds, "DS")
