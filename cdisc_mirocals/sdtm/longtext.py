"""Text longer than 200 characters, as SDTMIG 3.4 section 4.5.3.2 asks (COM.SUPP.TEXT): the parent
variable keeps the text up to the last word boundary within its first 200 characters, and each
further part becomes a SUPP-- record whose QNAM is the variable name and 1, 2, 3.

Applied to every mapped domain after mapping, so no mapper handles it; a domain or a part number
the spec does not provide for is a located error, never a cut.
"""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.metadata.steps import XPT_MAX_BYTES, ConformanceError, byte_lengths
from cdisc_mirocals.metadata.textparts import qnam_for, split_words
from cdisc_mirocals.raw import LINE
from cdisc_mirocals.sdtm.context import FORM, Context


def derive_long_text_qualifiers(ctx: Context) -> None:
    """Move the part of each text value beyond 200 characters to SUPP-- records (in ctx.datasets)."""
    sdtm, problems = ctx.spec.sdtm, []
    for name, frame in list(ctx.datasets.items()):
        if name.startswith("SUPP") or name not in sdtm.datasets:
            continue
        for var in (v for v in sdtm[name].variables if not v.is_numeric and v.name in frame.columns):
            long = (byte_lengths(frame[var.name]) > XPT_MAX_BYTES).to_numpy()  # missing counts as ""
            if not long.any():
                continue
            supp = f"SUPP{name}"
            if supp not in sdtm.datasets:
                continue  # the shaping step refuses the value, naming its raw record
            records, parents = _qualifiers(ctx, frame[long], var.name, supp, problems)
            frame = frame.copy()
            frame.loc[long, var.name] = parents
            ctx.datasets[name] = frame
            if records is not None:
                existing = ctx.datasets.get(supp)
                ctx.datasets[supp] = pd.concat([existing, records], ignore_index=True) if existing is not None \
                    else records
    if problems:
        raise ConformanceError(problems)


def _qualifiers(ctx: Context, rows: pd.DataFrame, variable: str, supp: str, problems: list[Problem]):
    sdtm = ctx.spec.sdtm
    codelist = sdtm.codelists[sdtm[supp].variable("QNAM").codelist]
    origin = {v.where[0].values[0]: v.origin for v in sdtm.valuelevel if v.dataset == supp and v.variable == "QVAL"}
    domain = supp[4:]
    records, parents = [], []
    for _, rec in rows.iterrows():
        parts = split_words(str(rec[variable]))
        parents.append(parts[0])
        for part, value in enumerate(parts[1:], start=1):
            qnam = qnam_for(variable, part)
            if qnam not in codelist.values:
                where = (ctx.raw.file(rec[FORM]), int(rec[LINE])) if FORM in rec and pd.notna(rec.get(LINE)) \
                    else (domain, None)
                problems.append(Problem(where[0], where[1], variable, str(rec[variable])[:60] + "...",
                                        f"text whose part {part + 1} fits a {supp} record: specs define no "
                                        f"QNAM {qnam} in codelist {codelist.id}"))
                continue
            records.append({"STUDYID": ctx.studyid, "RDOMAIN": domain, "USUBJID": rec["USUBJID"],
                            "IDVAR": f"{domain}SEQ", "IDVARVAL": str(int(rec[f"{domain}SEQ"])), "QNAM": qnam,
                            "QLABEL": codelist.decode(qnam), "QVAL": value, "QORIG": origin.get(qnam, "Collected"),
                            FORM: rec.get(FORM), LINE: rec.get(LINE)})
    return (pd.DataFrame(records) if records else None), parents
