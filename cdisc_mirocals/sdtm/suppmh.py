"""SUPPMH: qualifiers of the ALS diagnosis record of MH, the site of onset and El Escorial category
collected at enrolment (ENROL); see COM.SUPPMH and MT.SUPPMH. Value-level metadata gives each QNAM's
codelist and origin. Mapped after MH (datasets.csv order), whose MHSEQ it points at."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.sdtm.context import Context

# The MH record qualified: the ALS diagnosis (COM.MH, COM.SUPPMH).
MHCAT, MHEVDTYP, IDVAR = "PRIMARY DIAGNOSIS", "DIAGNOSIS", "MHSEQ"


def _diagnosis_seq(ctx: Context) -> pd.DataFrame:
    """MHSEQ of each subject's ALS diagnosis record, with the ENROL line it was mapped from."""
    mh = ctx.datasets["MH"]
    diag = mh[(mh["MHCAT"] == MHCAT) & (mh["MHEVDTYP"] == MHEVDTYP) & (mh["_FORM"] == "ENROL")]
    return pd.DataFrame({"USUBJID": diag["USUBJID"].to_numpy(), "_LINE": diag["_LINE"].to_numpy(),
                         "IDVARVAL": [str(int(s)) for s in diag[IDVAR]]})


def map_suppmh(ctx: Context) -> pd.DataFrame:
    sdtm = ctx.spec.sdtm
    qval = {v.where[0].values[0]: v for v in sdtm.valuelevel if v.dataset == "SUPPMH" and v.variable == "QVAL"}
    # ENROL rows are already mapped to DM (and MH): screen failures have no MH record and get none here.
    enrol = ctx.form("ENROL")
    enrol = enrol[~enrol["SUBJID"].str.strip().isin(ctx.screen_failures)]
    records = []
    for qnam in sdtm.codelists["QNAM_MH"].values:  # the raw ENROL field has the QNAM's name
        vlm = qval[qnam]
        value = ctx.ct(enrol, qnam, vlm.codelist) if vlm.codelist else enrol[qnam].str.strip()
        given = (value.fillna("") != "").to_numpy()
        records.append(pd.DataFrame({
            "USUBJID": ctx.usubjid(enrol["SUBJID"]), "QNAM": qnam, "QLABEL": sdtm.codelists["QNAM_MH"].decode(qnam),
            "QVAL": value, "QORIG": vlm.origin, "_FORM": enrol["_FORM"], "_LINE": enrol["_LINE"],
        })[given])
    supp = pd.concat(records, ignore_index=True)
    # Each qualifier points at the DIAGNOSIS record mapped from its own ENROL row.
    supp = supp.merge(_diagnosis_seq(ctx), on=["USUBJID", "_LINE"], how="left", validate="many_to_one")
    if supp["IDVARVAL"].isna().any():
        missing = sorted(supp.loc[supp["IDVARVAL"].isna(), "USUBJID"].unique())
        raise RuntimeError(f"SUPPMH: no MH ALS diagnosis record for {missing[:5]}; map MH before SUPPMH")
    return supp.assign(STUDYID=ctx.studyid, RDOMAIN="MH", IDVAR=IDVAR)
