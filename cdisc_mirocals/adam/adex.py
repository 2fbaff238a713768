"""ADEX: exposure to the study injections (BDS), from SDTM EX (methods MT.ADEX.*).

One record per treated subject (ADSL SAFFL = 'Y') per cycle, from the first cycle to the last one
started, for the per-cycle parameters, and one record per subject for each overall parameter. The
overall parameters are computed from the per-cycle records, so that the totals are the sums of the
rows a reviewer sees; they equal ADSL's NCYCLE, NINJ, NINJPL, TRTDURD and RDI by construction of the
same rule, and a test holds them equal subject by subject.

PARAM, PARAMN, the unit of each parameter (AVALU: the one term of its value-level codelist) and the
rounding of RDI (its value-level Significant Digits) come from specs/adam; the number of injections
planned per cycle from study.toml [treatment].
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.adsl import predecessors
from cdisc_mirocals.adam.codes import derive_var_code
from cdisc_mirocals.adam.derive import derive_vars_dy, derive_vars_merged
from cdisc_mirocals.adam.params import param_codes, value_level
from cdisc_mirocals.dates import to_date
from cdisc_mirocals.metadata.numbers import round_half_away
from cdisc_mirocals.spec import Spec

KEYS = ["STUDYID", "USUBJID"]
DATASET = "ADEX"
PER_CYCLE = ("NINJ", "DOSE")
OVERALL = ("NCYCLE", "TNINJ", "TNINJPL", "TDOSE", "TRTDURD", "RDI")


def cycle_number(grpid: pd.Series) -> pd.Series:
    """The cycle of an EX record: the number that ends EXGRPID ('CYCLE07' -> 7), MT.EXGRPID. A study has a
    few dozen distinct EXGRPID and millions of records: each distinct value is read once."""
    codes, uniques = pd.factorize(grpid.to_numpy(dtype=object))
    numbers = pd.to_numeric(pd.Series(uniques, dtype="string").str.extract(r"(\d+)$")[0], errors="coerce")
    return pd.Series(np.append(numbers.to_numpy(dtype=float, na_value=np.nan), np.nan)[codes], index=grpid.index)


def _cycles(ex: pd.DataFrame, treated: pd.DataFrame) -> pd.DataFrame:
    """Per subject and cycle, from cycle 1 to the last one started: injections given, dose, first and last
    injection date, and the EXGRPID linking the row to its EX records. A cycle with no injection is kept,
    with 0 injections, 0 dose and no dates: it counts in the planned injections as in ADSL.NINJPL."""
    ex = ex[[*KEYS, "EXSEQ", "EXGRPID", "EXSTDTC", "EXENDTC", "EXDOSE"]]  # only these: EX has millions of rows
    ex = ex[ex["USUBJID"].isin(treated["USUBJID"])]
    ex = ex.assign(AVISITN=cycle_number(ex["EXGRPID"]), _DATE=to_date(ex["EXSTDTC"]),
                   _END=to_date(ex["EXENDTC"].where(ex["EXENDTC"] != "", ex["EXSTDTC"])))
    unnumbered = ex[ex["AVISITN"].isna() | ~(ex["AVISITN"] >= 1)]
    if len(unnumbered):  # an injection outside every cycle would vanish from the totals
        first = unnumbered.iloc[0]
        raise ValueError(f"ADEX: {len(unnumbered)} EX record(s) with no cycle number >= 1 in EXGRPID (expected "
                         f"CYCLEnn), e.g. USUBJID {first['USUBJID']} EXSEQ {first.get('EXSEQ')} EXGRPID "
                         f"{first['EXGRPID']!r}")
    given = ex.groupby([*KEYS, "AVISITN"], as_index=False, sort=False).agg(
        NINJ=("USUBJID", "size"), DOSE=("EXDOSE", "sum"), ASTDT=("_DATE", "min"), AENDT=("_END", "max"),
        EXGRPID=("EXGRPID", "first"))
    last = given.groupby(KEYS, as_index=False)["AVISITN"].max()
    grid = last.loc[last.index.repeat(last["AVISITN"].astype(int))].reset_index(drop=True)
    grid["AVISITN"] = grid.groupby("USUBJID").cumcount() + 1.0
    cycles = grid.merge(given, on=[*KEYS, "AVISITN"], how="left")
    cycles[["NINJ", "DOSE"]] = cycles[["NINJ", "DOSE"]].fillna(0.0)
    return cycles


def _per_cycle_records(cycles: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    keep = [*KEYS, "AVISITN", "ASTDT", "AENDT", "EXGRPID"]
    records = pd.concat([cycles[keep].assign(PARAMCD=p, AVAL=cycles[p].astype(float)) for p in PER_CYCLE],
                        ignore_index=True)
    records["AVISIT"] = "CYCLE " + records["AVISITN"].astype(int).astype(str)
    return records


def _overall_records(cycles: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    per_cycle = spec.study["treatment"]["injections_per_cycle"]
    grouped = cycles.assign(_STARTED=(cycles["NINJ"] > 0).astype(float)).groupby(KEYS, as_index=False, sort=False)
    totals = grouped.agg(NCYCLE=("_STARTED", "sum"), TNINJ=("NINJ", "sum"),
                         _LAST=("AVISITN", "max"), TDOSE=("DOSE", "sum"), ASTDT=("ASTDT", "min"),
                         AENDT=("AENDT", "max"))
    totals["TNINJPL"] = totals["_LAST"] * per_cycle
    totals["TRTDURD"] = (totals["AENDT"] - totals["ASTDT"]).dt.days + 1.0
    digits = value_level(spec, DATASET, "AVAL", "RDI").significant_digits
    totals["RDI"] = round_half_away(100 * totals["TNINJ"] / totals["TNINJPL"], digits)
    keep = [*KEYS, "ASTDT", "AENDT"]
    return pd.concat([totals[keep].assign(PARAMCD=p, AVAL=totals[p].astype(float)) for p in OVERALL],
                     ignore_index=True)


def _units(records: pd.DataFrame, spec: Spec) -> pd.Series:
    """AVALU: the one term of the value-level codelist of AVALU for the record's PARAMCD (none: no unit)."""
    unit = pd.Series("", index=records.index, dtype=object)
    for paramcd in records["PARAMCD"].unique():
        vlm = value_level(spec, DATASET, "AVALU", paramcd, required=False)
        if vlm is not None and vlm.codelist:
            terms = spec.adam.codelists[vlm.codelist].values
            if len(terms) != 1:
                raise ValueError(f"{DATASET}.AVALU for {paramcd}: codelist {vlm.codelist} must hold one unit, has {terms}")
            unit[records["PARAMCD"] == paramcd] = terms[0]
    return unit


def derive_adex(adsl: pd.DataFrame, sdtm: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    treated = adsl[adsl["SAFFL"] == "Y"]
    cycles = _cycles(sdtm["EX"], treated)
    adex = pd.concat([_per_cycle_records(cycles, spec), _overall_records(cycles, spec)], ignore_index=True)
    adex = param_codes(adex, spec, DATASET)
    adex["AVALU"] = _units(adex, spec)
    from_adsl = {k: v for k, v in predecessors(spec, DATASET, "ADSL").items() if k not in KEYS}
    adex = derive_vars_merged(adex, treated, by_vars=KEYS, new_vars=from_adsl)
    adex = derive_vars_dy(adex, reference_date="TRTSDT", source_vars={"ASTDY": "ASTDT", "AENDY": "AENDT"})
    adex["AVISIT"] = adex["AVISIT"].fillna("")
    adex["EXGRPID"] = adex["EXGRPID"].fillna("")
    adex = adex.sort_values(["USUBJID", "PARAMN", "AVISITN"], kind="stable", na_position="first")
    return adex.reset_index(drop=True)
