"""SUPPDM: subject-level qualifiers of DM, the IWRS strata and randomisation number (RAND) and the ALS
characteristics collected at enrolment (ENROL); see COM.SUPPDM. Value-level metadata gives each
QNAM's codelist and origin."""

import pandas as pd

from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.spec import Spec

def source_form(spec: Spec, qnam: str) -> str:
    """The raw form collecting a qualifier: by convention (docs/specs.md) its field has the QNAM's name."""
    forms = [f.name for f in spec.raw.values() if qnam in f.columns]
    if len(forms) != 1:
        raise ValueError(f"specs/raw: QNAM {qnam} must be the field of exactly one raw form, found {forms}")
    return forms[0]


def map_suppdm(ctx: Context) -> pd.DataFrame:
    sdtm = ctx.spec.sdtm
    qval = {v.where[0].values[0]: v for v in sdtm.valuelevel if v.dataset == "SUPPDM" and v.variable == "QVAL"}
    records = []
    for qnam in sdtm.codelists["QNAM_DM"].values:
        raw = ctx.form(source_form(ctx.spec, qnam))
        vlm = qval[qnam]
        value = ctx.ct(raw, qnam, vlm.codelist) if vlm.codelist else raw[qnam].str.strip()
        given = value.fillna("") != ""
        records.append(pd.DataFrame({
            "USUBJID": ctx.usubjid(raw["SUBJID"]), "QNAM": qnam, "QLABEL": sdtm.codelists["QNAM_DM"].decode(qnam),
            "QVAL": value, "QORIG": vlm.origin, "_FORM": raw["_FORM"], "_LINE": raw["_LINE"],
        })[given])
    # Subject-level qualifiers: IDVAR and IDVARVAL stay null.
    return pd.concat(records, ignore_index=True).assign(STUDYID=ctx.studyid, RDOMAIN="DM", IDVAR="", IDVARVAL="")
