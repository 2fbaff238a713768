"""What a rule sees: the datasets of one folder with their generic model and study metadata, the
define.xml, the SDTM behind an ADaM folder, and cached parsed dates (a date is parsed once per run)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from cdisc_mirocals.dates import to_date as iso_date  # the calendar date of a --DTC value
from cdisc_mirocals.spec import Dataset, Standard
from cdisc_mirocals.validate.define_reader import Define
from cdisc_mirocals.validate.distinct import Distinct, per_value
from cdisc_mirocals.validate.model import DomainModel, StandardModel
from cdisc_mirocals.validate.readers import DatasetFile

SAS_EPOCH = np.datetime64("1960-01-01", "D")


def domain_of(file: DatasetFile) -> str:
    """The domain a dataset is part of, for the rules that hold per domain and for comparing with P21's report:
    LB for LBCH, LBHE and LBUR, SUPPLB for SUPPLBCH (by RDOMAIN), QS for the six QS files; else its name."""
    frame = file.frame
    if file.name.startswith("SUPP") and "RDOMAIN" in frame and len(frame):
        values = frame["RDOMAIN"][frame["RDOMAIN"] != ""]
        return "SUPP" + str(values.mode().iloc[0]) if len(values) else file.name
    return file.domain if len(file.domain) == 2 and file.name.startswith(file.domain) else file.name


@dataclass
class Data:
    """One dataset under validation."""

    file: DatasetFile
    model: DomainModel | None  # its generic model (None: a custom domain or an OCCDS dataset)
    meta: Dataset | None  # its study metadata, from specs/ or define.xml

    @property
    def name(self) -> str:
        return self.file.name

    @property
    def frame(self) -> pd.DataFrame:
        return self.file.frame

    @cached_property
    def distinct(self) -> Distinct:
        """The frame's columns factorised once, for tests of values (validate/distinct.py)."""
        return Distinct(self.frame, self.file.encoding, self.file.factors)

    @property
    def domain(self) -> str:
        return self.file.domain

    @cached_property
    def group(self) -> str:
        return domain_of(self.file)

    @property
    def prefix(self) -> str:
        """The variable prefix of an SDTM domain: AE for AE, LB for LBCH; "" for SUPP--/RELREC and ADaM."""
        return self.domain if len(self.domain) == 2 else ""

    @property
    def seq(self) -> str | None:
        """The record's sequence variable: --SEQ, or ASEQ (or the AESEQ an ADAE carries) in ADaM."""
        for name in (f"{self.prefix}SEQ" if self.prefix else "", "ASEQ"):
            if name and name in self.frame:
                return name
        found = [c for c in self.frame.columns if len(c) == 5 and c.endswith("SEQ") and c[:2] == self.name[2:4]]
        return found[0] if found else None

    def var(self, suffix: str) -> str | None:
        """The dataset's --SUFFIX variable (STDTC -> AESTDTC), or None when it has none."""
        name = self.prefix + suffix
        return name if self.prefix and name in self.frame else None

    def has(self, *names: str) -> bool:
        return all(n in self.frame for n in names)

    def present(self, name: str) -> pd.Series:
        s = self.frame[name]
        return s.notna() if s.dtype.kind == "f" else per_value(s, lambda u: u.notna() & u.ne(""), self.distinct)


@dataclass
class Study:
    family: str  # SDTM | ADaM
    model: StandardModel
    datasets: dict[str, Data]
    define: Define | None = None
    metadata: Standard | None = None
    sdtm: Study | None = None  # the SDTM folder behind an ADaM folder
    today: dt.date = field(default_factory=dt.date.today)
    windows: dict[str, tuple[int, int]] | None = None  # VISIT -> (planned day, half-width), own study only
    _dates: dict = field(default_factory=dict, repr=False)

    def get(self, name: str) -> Data | None:
        return self.datasets.get(name)

    def by_domain(self, domain: str) -> list[Data]:
        """Every dataset of a domain: LB, or its split datasets LBCH, LBHE, LBUR."""
        return [d for d in self.datasets.values() if d.domain == domain]

    def groups(self) -> dict[str, list[Data]]:
        """The datasets by domain (Data.group): a split domain's files together, in folder order."""
        out: dict[str, list[Data]] = {}
        for d in self.datasets.values():
            out.setdefault(d.group, []).append(d)
        return out

    def observations(self) -> list[Data]:
        """Datasets of subject observations (general classes and special-purpose, not SUPP--, RELREC, trial design)."""
        return [d for d in self.datasets.values() if "USUBJID" in d.frame and d.prefix and d.domain not in ("CO",)]

    def dm(self) -> pd.DataFrame | None:
        d = self.get("DM") or (self.sdtm.get("DM") if self.sdtm else None)
        return d.frame if d is not None else None

    def subject_value(self, data: Data, source: pd.DataFrame, variable: str) -> pd.Series:
        """`variable` of `source` (one record per USUBJID) for each record of `data`, aligned on its rows."""
        lookup = source.drop_duplicates("USUBJID").set_index("USUBJID")[variable]
        return pd.Series(data.frame["USUBJID"].map(lookup).to_numpy(), index=data.frame.index)

    def subject_date(self, data: Data, source: Data, variable: str) -> pd.Series:
        """The date of `variable` in `source` (one record per subject, e.g. DM) for each record of `data`."""
        lookup = pd.Series(self.date(source, variable).to_numpy(), index=source.frame["USUBJID"].to_numpy())
        lookup = lookup[~lookup.index.duplicated()]
        return pd.Series(data.frame["USUBJID"].map(lookup).to_numpy(), index=data.frame.index)

    def date(self, data: Data, variable: str) -> pd.Series:
        """The calendar date of a --DTC value (NaT unless the date part is complete), parsed once per run."""
        key = (data.name, variable)
        if key not in self._dates:
            self._dates[key] = iso_date(data.frame[variable])
        return self._dates[key]


def sas_date(values: pd.Series) -> pd.Series:
    """A SAS date number (days since 1960-01-01) as a datetime; NaT where missing."""
    days = pd.to_numeric(values, errors="coerce")
    ok = days.notna() & np.isfinite(days) & (days.abs() < 3e6)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    out[ok] = (SAS_EPOCH + days[ok].astype("int64").to_numpy().astype("timedelta64[D]")).astype("datetime64[ns]")
    return out


def as_text(s: pd.Series) -> pd.Series:
    """Values as a reviewer reads them: 57 rather than 57.0, nothing for missing."""
    if s.dtype.kind == "f":
        whole = s.notna() & np.isfinite(s) & (s == s.round())
        out = s.astype(object).where(s.notna(), "")
        out[whole] = s[whole].astype("int64").astype(str)
        out[s.notna() & ~whole] = s[s.notna() & ~whole].astype(str)
        return out.astype(str)
    return s.astype(str)
