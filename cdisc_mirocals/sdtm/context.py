"""What every SDTM mapper is handed: the raw study, the spec, the domains mapped so far, and the
ledgers of excluded raw records and controlled-terminology findings.

Mapped frames carry two private columns, `_FORM` and `_LINE`, naming the raw record each SDTM record
came from; `conform()` drops them and the reconciliation reads them first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cdisc_mirocals.dates import derive_vars_dy
from cdisc_mirocals.errors import Problem
from cdisc_mirocals.raw import LINE, RawStudy
from cdisc_mirocals.raw.schema import normalise
from cdisc_mirocals.sdtm.common import derive_var_seq, on_distinct
from cdisc_mirocals.spec import Spec

FORM = "_FORM"


@dataclass
class Context:
    raw: RawStudy
    spec: Spec
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    exclusions: list[pd.DataFrame] = field(default_factory=list)
    ct_errors: list[Problem] = field(default_factory=list)
    ct_notes: list[Problem] = field(default_factory=list)

    @property
    def studyid(self) -> str:
        return self.spec.study.studyid

    def usubjid(self, subjid: pd.Series) -> pd.Series:
        return on_distinct(subjid.astype("string"), lambda u: self.studyid + "-" + u.str.strip())

    def form(self, name: str) -> pd.DataFrame:
        """A raw form with `_FORM` set, so mapped records can say where they came from."""
        df = self.raw[name].copy()
        df[FORM] = name
        return df

    @property
    def screen_failures(self) -> set[str]:
        rand = set(self.raw["RAND"]["SUBJID"].str.strip())
        return set(self.raw["ENROL"]["SUBJID"].str.strip()) - rand

    def injections_given(self) -> pd.DataFrame:
        """INJ rows with INJDONE 'Yes': the administered doses EX holds and RF*DTC derive from."""
        inj = self.form("INJ")
        return inj[normalise(inj["INJDONE"].fillna("")) == "yes"]

    def end_of_study(self, records: pd.DataFrame) -> pd.Series:
        """The subject's end of study date (EOS.EOSDAT) for each record."""
        eos = self.raw["EOS"]
        return records["SUBJID"].str.strip().map(dict(zip(eos["SUBJID"].str.strip(), eos["EOSDAT"])))

    def study_days(self, records: pd.DataFrame, source_vars: dict[str, str]) -> pd.DataFrame:
        """--DY variables {new_var: --DTC} against DM.RFSTDTC (SDTMIG 3.4 section 4.4.4)."""
        return derive_vars_dy(records, reference=self.datasets["DM"], reference_date="RFSTDTC",
                              source_vars=source_vars)

    def number_records(self, records: pd.DataFrame, domain: str) -> pd.DataFrame:
        """--SEQ within each subject, in the order of the spec's key variables for `domain`."""
        seq = f"{domain}SEQ"
        keys = [k for k in self.spec.sdtm[domain].keys if k not in ("STUDYID", "USUBJID", seq)]
        return derive_var_seq(records, new_var=seq, order=keys)

    def exclude(self, records: pd.DataFrame, reason: str) -> None:
        """Record raw records that become no SDTM record, and why."""
        if len(records):
            self.exclusions.append(pd.DataFrame({
                "FORM": records[FORM].to_numpy(), "LINE": records[LINE].to_numpy(),
                "SUBJID": records["SUBJID"].astype("string").to_numpy(), "REASON": reason}))

    def drop_screen_failures(self, records: pd.DataFrame) -> pd.DataFrame:
        """Screen failures appear in DM, DS, IE, SE and SV only (their screening, as the FDA Study Data
        Technical Conformance Guide asks); their other records are excluded."""
        sf = records["SUBJID"].str.strip().isin(self.screen_failures)
        self.exclude(records[sf], "screen failure: only DM, DS, IE, SE and SV hold screen-failure data")
        return records[~sf]

    def ct(self, records: pd.DataFrame, column: str, codelist: str, standard: str = "sdtm") -> pd.Series:
        """Map collected values to the terms of `codelist` (term, decode, or specs ctmap.csv).

        A value that maps to no term is an error for a non-extensible codelist, and a note for an
        extensible one (the value is kept, upper-cased, as a sponsor extension).
        """
        std = getattr(self.spec, standard)
        cl = std.codelists[codelist]
        lookup = {t.term.casefold(): t.term for t in cl.terms}
        lookup.update({t.decode.casefold(): t.term for t in cl.terms if t.decode})
        lookup.update(std.ctmap.get(codelist, {}))
        values = records[column].astype("string")
        key = normalise(values.fillna(""))
        mapped = key.map(lookup).astype("string")
        missing = values.notna() & (key != "") & mapped.isna()
        for _, rec in records[missing].iterrows():
            problem = Problem(self.raw.file(rec[FORM]), int(rec[LINE]), column, str(rec[column]),
                              f"a value of codelist {codelist} ({' | '.join(cl.values)})")
            (self.ct_notes if cl.extensible else self.ct_errors).append(problem)
        if cl.extensible:
            mapped = mapped.where(~missing, values.str.strip().str.upper())
        return mapped.where(key != "", pd.NA)
