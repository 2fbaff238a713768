"""Fault injection: the clean output of `convert` (a 14-subject simulated study, built once per session and
read back from its XPT files), copied, with one fault injected per rule. The findings that appear beyond
those of the clean copy must be exactly the injected rule's, on exactly the injected records.

To keep the suite fast, several injections share one validation run (a batch). That keeps every
assertion: each batch's new findings must equal the union of what its injections expect, so a fault
that made another rule fire, or fired on another record, fails the batch and is named in the message.
Injections in one batch touch different subjects or datasets, so they cannot mask each other.

A few faults break two rules by their nature (an AE with outcome FATAL and no "results in death" is both
SD1254's and SD0090's); those injections expect both, and say why. A rule that the clean output already
broke at the dataset level could not fire again; none does now (ALREADY is empty), and DD0101 (no define.xml)
is proved by validating the clean copy with and without its define.xml.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from validate_helpers import TODAY

from cdisc_mirocals.submission.package import write_frames
from cdisc_mirocals.adam import derive_adam
from cdisc_mirocals.raw import read_raw
from cdisc_mirocals.sdtm import map_sdtm
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.validate.context import iso_date
from cdisc_mirocals.validate.engine import validate_files
from cdisc_mirocals.validate.readers import Column, DatasetFile, read_folder
from cdisc_mirocals.validate.rules import load_all

SAS = pd.Timestamp("1960-01-01")


@pytest.fixture(scope="session")
def clean(tmp_path_factory, spec):
    folder = tmp_path_factory.mktemp("clean")
    write_forms(simulate_study(14, 15, spec), folder / "raw", spec)  # 8 alive, 6 dead, 2 screen failures
    sdtm = map_sdtm(read_raw(folder / "raw", spec), spec)
    write_frames(sdtm.datasets, folder / "sdtm", spec, "SDTM")
    write_frames(derive_adam(sdtm.datasets, spec), folder / "adam", spec, "ADaM")
    return read_folder(folder / "sdtm"), read_folder(folder / "adam")


class Copy:
    """A copy of the clean files; a dataset is copied when first changed. Deleted records are remembered,
    so the clean copy's findings can be renumbered before comparing."""

    def __init__(self, files: dict[str, DatasetFile]):
        self.files = dict(files)
        self.origin: dict[str, list] = {}  # per changed dataset: the clean record number of each record, or None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.files[name].frame

    def ds(self, name: str) -> DatasetFile:
        f = self.files[name]
        if name not in self.origin:
            f = dataclasses.replace(f, frame=f.frame.copy(), columns=dict(f.columns))
            self.origin[name] = list(range(1, len(f.frame) + 1))
            self.files[name] = f
        return f

    def renumber(self, name: str, record: int) -> int | None:
        """The record number now of a clean record (None once deleted)."""
        if name not in self.origin:
            return record
        return self.origin[name].index(record) + 1 if record in self.origin[name] else None

    def set(self, name: str, rows, variable: str, value) -> list[int]:
        f = self.ds(name)
        rows = list(np.atleast_1d(rows))
        f.frame.loc[f.frame.index[rows], variable] = value
        col = f.columns[variable]
        if col.type == "Char":  # as if written again: the variable is as long as its longest value
            longest = int(f.frame[variable].astype(str).str.encode("utf-8").str.len().max())
            f.columns[variable] = dataclasses.replace(col, length=max(col.length or 1, longest))
        return [r + 1 for r in rows]

    def append(self, name: str, row: int, **changes) -> int:
        f = self.ds(name)
        new = f.frame.iloc[[row]].copy()
        for k, v in changes.items():
            new[k] = v
        f.frame = pd.concat([f.frame, new], ignore_index=True)
        self.origin[name].append(None)
        for k in changes:  # as if written again: a variable is as long as its longest value
            col = f.columns[k]
            if col.type == "Char":
                longest = int(f.frame[k].astype(str).str.encode("utf-8").str.len().max())
                f.columns[k] = dataclasses.replace(col, length=max(col.length or 1, longest))
        return len(f.frame)

    def delete(self, name: str, rows) -> None:
        f = self.ds(name)
        rows = sorted(np.atleast_1d(rows), reverse=True)
        f.frame = f.frame.drop(index=f.frame.index[rows]).reset_index(drop=True)
        for r in rows:
            del self.origin[name][r]
        for k, col in f.columns.items():  # written again, each variable is as long as its longest value
            if col.type == "Char":
                f.columns[k] = dataclasses.replace(col, length=max(1, int(f.frame[k].str.encode("utf-8").str.len().max())))

    def remove(self, name: str) -> None:
        del self.files[name]
        self.origin[name] = []

    def add_column(self, name: str, variable: str, values, after: str | None = None, label: str = "x") -> None:
        f = self.ds(name)
        at = list(f.frame.columns).index(after) + 1 if after else len(f.frame.columns)
        f.frame.insert(at, variable, values)
        numeric = f.frame[variable].dtype.kind == "f"
        length = 8 if numeric else max(1, int(f.frame[variable].astype(str).str.encode("utf-8").str.len().max()))
        cols = list(f.columns.items())
        cols.insert(at, (variable, Column(variable, label, "Num" if numeric else "Char", length)))
        f.columns = dict(cols)

    def drop_column(self, name: str, variable: str) -> None:
        f = self.ds(name)
        f.frame = f.frame.drop(columns=variable)
        del f.columns[variable]

    def meta(self, name: str, **changes) -> None:
        f = self.ds(name)
        for k, v in changes.items():
            setattr(f, k, v)


def keys(findings: pd.DataFrame) -> Counter:
    return Counter((r.rule, r.dataset, None if pd.isna(r.record) else int(r.record), r.variables if pd.isna(r.record)
                    else "") for r in findings.itertuples())


def new_findings(report, baseline: pd.DataFrame, c: Copy) -> Counter:
    base = Counter()
    for (rule, ds, rec, var), n in keys(baseline).items():
        now = c.renumber(ds, rec) if rec is not None else None
        if rec is None or now is not None:
            base[(rule, ds, now, var)] += n
    return keys(report.findings) - base


def rows_where(frame: pd.DataFrame, mask) -> list[int]:
    return list(np.flatnonzero(np.asarray(mask, dtype=bool)))


def sas(iso: str) -> float:
    return float((pd.Timestamp(iso) - SAS).days)


def day(iso: str, ref: str) -> float:
    d = (pd.Timestamp(iso) - pd.Timestamp(ref)).days
    return float(d + 1 if d >= 0 else d)


def shift(iso: str, days: int) -> str:
    return (pd.Timestamp(iso[:10]) + pd.Timedelta(days=days)).strftime("%Y-%m-%d")


class Study:
    """Subjects of the clean study by kind, so injections can take different ones."""

    def __init__(self, c: Copy):
        dm = c["DM"]
        self.dm = dm
        self.randomised = list(dm.loc[dm["ARMCD"].ne(""), "USUBJID"])
        dead = [s for s in self.randomised if dm.set_index("USUBJID").loc[s, "DTHFL"] == "Y"]
        ae = c["AE"]
        # dead subjects whose death is an AE (AEOUT FATAL, AESDTH Y), for the injections that need one
        self.fatal = [s for s in dead if (ae["USUBJID"].eq(s) & ae["AEOUT"].eq("FATAL") & ae["AESDTH"].eq("Y")).any()]
        self.dead = [s for s in dead if s not in self.fatal] + self.fatal  # d1, d2... without a fatal AE first
        self.alive = [s for s in self.randomised if s not in self.dead]
        self.failed = list(dm.loc[dm["ARMCD"].eq(""), "USUBJID"])

    def row(self, subject: str) -> int:
        return rows_where(self.dm, self.dm["USUBJID"].eq(subject))[0]

    def rf(self, subject: str, variable: str = "RFSTDTC") -> str:
        return self.dm.loc[self.row(subject), variable]


def first(frame: pd.DataFrame, mask) -> int:
    found = rows_where(frame, mask)
    assert found, "the clean study has no record to inject this fault into"
    return found[0]


# ------------------------------------------------------------------------------------------------ SDTM

def sdtm_injections(c: Copy, s: Study) -> dict[str, tuple[str, callable]]:
    """rule -> (subject or dataset it touches, injection returning the expected new findings)."""
    ae, lb, sv, ds_, mh = c["AE"], c["LB"], c["SV"], c["DS"], c["MH"]
    a1, a2, a3, a4, a5, a6 = s.alive[:6]
    d1, d2, d3, d4 = s.dead[:4]
    f1, f2 = s.fatal[:2]

    def own(rule, name, mask, variable, value):
        row = first(c[name], mask)
        return [(rule, name, r, "") for r in c.set(name, row, variable, value)]

    def ae_of(subject, extra=True):
        return ae["USUBJID"].eq(subject) & extra

    def dated_ae(subject):
        return ae_of(subject, ae["AESTDTC"].str.len().eq(10) & ae["AEENDTC"].str.len().eq(10) & ae["AESTDY"].gt(1))

    inj = {}

    def add(rule, key):
        def wrap(fn):
            inj[rule] = (key, fn)
            return fn
        return wrap

    @add("SD0001", "IE")
    def _():
        c.ds("IE").frame = c["IE"].iloc[0:0]
        return [("SD0001", "IE", None, "")]

    @add("SD0056", "PR:PRTRT")
    def _():
        c.drop_column("PR", "PRTRT")
        return [("SD0056", "PR", None, "PRTRT")]

    @add("SD0057", "TA:TATRANS")
    def _():
        c.drop_column("TA", "TATRANS")
        return [("SD0057", "TA", None, "TATRANS")]

    @add("SD0058", "RE:REFOO")
    def _():
        c.add_column("RE", "REFOO", [""] * len(c["RE"]))
        return [("SD0058", "RE", None, "REFOO")]

    @add("SD1076", "QS")
    def _():
        c.add_column("QS", "QSCLSIG", [""] * len(c["QS"]), after="QSSTRESN")  # a Findings class variable
        return [("SD1076", "QS", None, "QSCLSIG")]

    @add("SD1079", "VS")
    def _():
        f = c.ds("VS")
        cols = [k for k in f.frame.columns if k != "VSTESTCD"] + ["VSTESTCD"]
        f.frame = f.frame[cols]
        f.columns = {k: f.columns[k] for k in cols}
        return [("SD1079", "VS", None, "VSTESTCD")]

    @add("SD0055", "SS")
    def _():
        f = c.ds("SS")
        f.frame["SSSEQ"] = f.frame["SSSEQ"].map("{:g}".format).astype(object)
        longest = int(f.frame["SSSEQ"].str.len().max())
        f.columns["SSSEQ"] = Column("SSSEQ", f.columns["SSSEQ"].label, "Char", longest)
        return [("SD0055", "SS", None, "SSSEQ")]

    @add("SD0002", a1 + "AE")
    def _():
        return own("SD0002", "AE", ae_of(a1), "AETERM", "")

    @add("SD1476", a2 + "DM")
    def _():
        return own("SD1476", "DM", s.dm["USUBJID"].eq(a2) & s.dm["RACE"].ne(""), "RACE", "")

    @add("SD1123", a1 + "LB")
    def _():
        return own("SD1123", "LB", lb["USUBJID"].eq(a1) & lb["LBORRES"].ne(""), "LBSTAT", "NOT DONE")

    @add("SD0023", "LB:LBREASND")
    def _():
        row = first(c["LB"], c["LB"]["USUBJID"].eq(a2) & c["LB"]["LBSTAT"].eq(""))
        return [("SD0023", "LB", r, "") for r in c.set("LB", row, "LBREASND", "Sample lost")]

    @add("SD0004", a2 + "AE")
    def _():
        return own("SD0004", "AE", ae_of(a2), "DOMAIN", "AX")

    @add("SD0005", a3 + "AE")
    def _():
        # the AE that lost its number leaves its SUPPAE record pointing at no AE (SD0077) as well
        rows = rows_where(ae, ae_of(a3))
        lost = ae.loc[rows[1], "AESEQ"]
        supp = c["SUPPAE"]
        orphans = rows_where(supp, supp["USUBJID"].eq(a3) & supp["IDVARVAL"].eq(f"{lost:g}"))
        return [("SD0005", "AE", r, "") for r in c.set("AE", rows[1], "AESEQ", ae.loc[rows[0], "AESEQ"])] \
            + [("SD0077", "SUPPAE", r + 1, "") for r in orphans]

    @add("SD0064", "CM")
    def _():  # CM has no VISITNUM: the unknown subject's visit is not also missing from SV (SD0065)
        # the record keeps study days that no RFSTDTC of its (unknown) subject backs: imputed (SD1089, SD1093)
        found = own("SD0064", "CM", c["CM"]["USUBJID"].eq(a4), "USUBJID", "MIROCALS-99-9999")
        row = found[0][2] - 1
        return found + [(r, "CM", row + 1, "") for r, dy in (("SD1089", "CMSTDY"), ("SD1093", "CMENDY"))
                        if pd.notna(c["CM"].loc[row, dy])]

    @add("SD0083", "DMDUP")
    def _():
        subject = next(x for x in s.alive[3:] if s.dm.loc[s.row(x), "RACE"] != "")
        return [("SD0083", "DM", c.append("DM", s.row(subject)), "")]

    @add("SD0065", a4 + "LB")
    def _():
        return own("SD0065", "LB", lb["USUBJID"].eq(a4), "VISITNUM", 99.0)

    @add("SD0072", "SUPPDM")
    def _():
        # CE is a CDISC domain code (no CT2002) that this study does not have
        return own("SD0072", "SUPPDM", c["SUPPDM"]["USUBJID"].eq(a1), "RDOMAIN", "CE")

    @add("SD0075", "SUPPMH")
    def _():
        return own("SD0075", "SUPPMH", c["SUPPMH"]["USUBJID"].eq(a1), "IDVAR", "MHXXSEQ")

    @add("SD0077", "SUPPMH2")
    def _():
        return own("SD0077", "SUPPMH", c["SUPPMH"]["USUBJID"].eq(a2), "IDVARVAL", "999")

    @add("SD0086", "SUPPMH3")
    def _():
        return [("SD0086", "SUPPMH", c.append("SUPPMH", first(c["SUPPMH"], c["SUPPMH"]["USUBJID"].eq(a3))), "")]

    @add("SD0046", "SUPPDM2")
    def _():
        return own("SD0046", "SUPPDM", c["SUPPDM"]["USUBJID"].eq(a2), "QLABEL", "Another label")

    @add("SD0040", "QS")
    def _():
        return own("SD0040", "QS", c["QS"]["USUBJID"].eq(a1), "QSTEST", "ALSFRS-R Another Test")

    @add("SD1043", "QS2")
    def _():
        return own("SD1043", "QS", c["QS"]["USUBJID"].eq(a2), "QSTESTCD", "ALSFRS99")

    @add("CT2003", "LB2")
    def _():
        rows = rows_where(lb, lb["LBTESTCD"].eq("ALT"))
        return [("CT2003", "LB", r, "") for r in c.set("LB", rows, "LBTEST", "Albumin")]

    def coded(subject, rule, terms, **columns):
        """Three new AEs of a subject, coded as given: fresh terms and codes, so one rule alone sees them."""
        row = first(ae, ae_of(subject) & ae["AEOUT"].ne("FATAL") & ae["AESDTH"].ne("Y"))
        recs = [c.append("AE", row, AESEQ=900.0 + i, AETERM=terms[i], **{k: v[i] for k, v in columns.items()})
                for i in range(3)]
        supp = c["SUPPAE"]  # each with its treatment-emergent flag, as every AE has (else SD1097)
        flag = first(supp, supp["USUBJID"].eq(subject) & supp["QNAM"].eq("AETRTEM"))
        for i in range(3):
            c.append("SUPPAE", flag, IDVARVAL=f"{900 + i}")
        return [(rule, "AE", recs[2], "")]

    @add("SD1440", a4 + "AE")
    def _():
        return coded(a4, "SD1440", ["T1440"] * 3, AEDECOD=["D1440", "D1440", "E1440"], AEPTCD=[14400.0, 14400.0, 14401.0])

    @add("SD1443", a5 + "AE")
    def _():
        return coded(a5, "SD1443", ["T1443"] * 3, AEBODSYS=["B1443", "B1443", "C1443"],
                     AEBDSYCD=[14430.0, 14430.0, 14431.0])

    @add("SD1287", a6 + "AE")
    def _():
        return coded(a6, "SD1287", ["T1287a", "T1287b", "T1287c"], AEPTCD=[1287.0] * 3,
                     AEDECOD=["D1287", "D1287", "E1287"])

    @add("SD1288", d1 + "AE")
    def _():
        return coded(d1, "SD1288", ["T1288a", "T1288b", "T1288c"], AEDECOD=["D1288"] * 3, AEPTCD=[1288.0, 1288.0, 1289.0])

    @add("SD1242", d2 + "AE")
    def _():
        return coded(d2, "SD1242", ["T1242a", "T1242b", "T1242c"], AEBDSYCD=[1242.0] * 3,
                     AEBODSYS=["B1242", "B1242", "C1242"])

    @add("SD1243", d3 + "AE")
    def _():
        return coded(d3, "SD1243", ["T1243a", "T1243b", "T1243c"], AEBODSYS=["B1243"] * 3,
                     AEBDSYCD=[1243.0, 1243.0, 1244.0])

    @add("CT2001", a6 + "DM")
    def _():
        return own("CT2001", "DM", s.dm["USUBJID"].eq(a6), "SEX", "MALE")

    @add("CT2002", "LB3")
    def _():
        return own("CT2002", "LB", lb["USUBJID"].eq(a5) & lb["LBSTRESU"].ne(""), "LBSTRESU", "furlongs")

    @add("SD0003", a1 + "MH")
    def _():
        # the invalid date keeps its study day, which no complete date backs: imputed (SD1089)
        found = own("SD0003", "MH", mh["USUBJID"].eq(a1) & mh["MHSTDTC"].ne("") & mh["MHSTDY"].notna(), "MHSTDTC",
                    "20-02-2020")
        return found + [("SD1089", "MH", found[0][2], "")]

    @add("SD1011", "TE")
    def _():
        return own("SD1011", "TE", c["TE"]["TEDUR"].ne(""), "TEDUR", "532 days")

    def redate(name, row, dtc, dy, iso):
        c.set(name, row, dtc, iso)
        return c.set(name, row, dy, day(iso, s.rf(c[name].loc[row, "USUBJID"])))

    @add("SD1086", "RE:REDY")
    def _():
        re_ = c["RE"]
        row = first(re_, re_["REDY"].gt(2))
        return [("SD1086", "RE", r, "") for r in c.set("RE", row, "REDY", re_.loc[row, "REDY"] + 1)]

    @add("SD1090", a2 + "AESTDY")
    def _():
        row = first(ae, dated_ae(a2) & ae["AESTDY"].gt(2))
        return [("SD1090", "AE", r, "") for r in c.set("AE", row, "AESTDY", ae.loc[row, "AESTDY"] + 1)]

    @add("SD1094", a3 + "AEENDY")
    def _():
        row = first(ae, dated_ae(a3) & ae["AEENDY"].gt(2))
        return [("SD1094", "AE", r, "") for r in c.set("AE", row, "AEENDY", ae.loc[row, "AEENDY"] + 1)]

    @add("SD0038", "SV")
    def _():
        return own("SD0038", "SV", sv["VISITDY"].notna() & sv["USUBJID"].eq(a1), "VISITDY", 0.0)

    def mid_treatment_ae(subject):
        se = c["SE"]
        treat = se[se["USUBJID"].eq(subject) & se["EPOCH"].eq("TREATMENT")].iloc[0]
        start, end = pd.Timestamp(treat["SESTDTC"]), pd.Timestamp(treat["SEENDTC"])
        dates = iso_date(ae["AESTDTC"])
        return first(ae, ae_of(subject) & (dates > start) & (dates < end) & ae["EPOCH"].eq("TREATMENT"))

    @add("MC0401", a4 + "AE")
    def _():
        return [("MC0401", "AE", r, "") for r in c.set("AE", mid_treatment_ae(a4), "EPOCH", "FOLLOW-UP")]

    @add("SD1339", a5 + "AE")
    def _():
        return [("SD1339", "AE", r, "") for r in c.set("AE", mid_treatment_ae(a5), "EPOCH", "")]

    @add("SD0013", a6 + "AE")
    def _():
        row = first(ae, dated_ae(a6))
        # its end day, derived again, is before its start day too (SD0012)
        return [(rule, "AE", r, "") for r in redate("AE", row, "AEENDTC", "AEENDY", shift(ae.loc[row, "AESTDTC"], -1))
                for rule in ("SD0013", "SD0012")]

    @add("SD0071", a1 + "DM")
    def _():
        other = "Placebo" if s.dm.loc[s.row(a1), "ARM"] != "Placebo" else "Aldesleukin 2 MIU"
        return [("SD0071", "DM", r, "") for r in c.set("DM", s.row(a1), "ARM", other)]

    @add("SD2002", a2 + "DM")
    def _():
        # an ACTARMCD not in TA is not the planned ARMCD either
        return [(rule, "DM", r, "") for r in c.set("DM", s.row(a2), "ACTARMCD", "XYZ") for rule in ("SD2002", "SD2236")]

    @add("SD2003", a3 + "DM")
    def _():
        other = "Placebo" if s.dm.loc[s.row(a3), "ACTARM"] != "Placebo" else "Aldesleukin 2 MIU"
        return [("SD2003", "DM", r, "") for r in c.set("DM", s.row(a3), "ACTARM", other)]

    @add("SD1358", a4 + "DM")
    def _():
        c.set("DM", s.row(a4), "ACTARMCD", "")
        return [("SD1358", "DM", r, "") for r in c.set("DM", s.row(a4), "ACTARM", "")]

    @add("SD1359", a5 + "DM")
    def _():
        c.set("DM", s.row(a5), "ARMCD", "")
        return [("SD1359", "DM", r, "") for r in c.set("DM", s.row(a5), "ARM", "")]

    @add("SD1360", a6 + "DM")
    def _():
        # a reason for a null arm on a treated subject also asks his reference dates to be null (SD1366, SD1373)
        rec = c.set("DM", s.row(a6), "ARMNRS", "NOT ASSIGNED")[0]
        return [("SD1360", "DM", rec, ""), ("SD1366", "DM", rec, ""), ("SD1373", "DM", rec, "")]

    @add("SD1361", d1 + "DM")
    def _():
        return [("SD1361", "DM", r, "") for r in c.set("DM", s.row(d1), "ARMCD", "")]

    @add("SD1362", d2 + "DM")
    def _():
        return [("SD1362", "DM", r, "") for r in c.set("DM", s.row(d2), "ACTARMCD", "")]

    @add("SD1015", "DS")
    def _():
        return own("SD1015", "DS", ds_["USUBJID"].eq(a1) & ds_["EPOCH"].ne(""), "EPOCH", "WASHOUT")

    @add("SD0067", "SE")
    def _():
        return own("SD0067", "SE", c["SE"]["USUBJID"].eq(a2), "ETCD", "XXX")

    @add("SD1253", a3 + "DD")
    def _():
        dd = c["DD"]
        c.append("DD", 0, USUBJID=a3, DDDY=day(dd.loc[0, "DDDTC"], s.rf(a3)))
        return [("SD1253", "DM", s.row(a3) + 1, "")]

    @add("SD1254", a4 + "AEOUT")
    def _():
        # FATAL with AESDTH not Y also breaks SD0090 (AESDTH is not 'Y' when AEOUT='FATAL')
        row = first(ae, ae_of(a4) & ae["AESDTH"].ne("Y"))
        rec = c.set("AE", row, "AEOUT", "FATAL")[0]
        return [("SD1254", "DM", s.row(a4) + 1, ""), ("SD0090", "AE", rec, "")]

    @add("SD1255", a5 + "AESDTH")
    def _():
        # AESDTH = Y without a FATAL outcome also breaks SD0091
        row = first(ae, ae_of(a5) & ae["AEOUT"].ne("FATAL"))
        rec = c.set("AE", row, "AESDTH", "Y")[0]
        return [("SD1255", "DM", s.row(a5) + 1, ""), ("SD0091", "AE", rec, "")]

    @add("SD1256", a6 + "DS")
    def _():
        # a DEATH disposition without DM.DTHDTC also breaks MC0109 (death not reported)
        row = first(ds_, ds_["USUBJID"].eq(a6) & ds_["DSCAT"].eq("DISPOSITION EVENT"))
        rec = c.set("DS", row, "DSDECOD", "DEATH")[0]
        return [("SD1256", "DM", s.row(a6) + 1, ""), ("MC0109", "DS", rec, "")]

    @add("SD1252", a1 + "SS")
    def _():
        # a subject status of DEAD breaks SD1316 too when DS has no DEATH record
        row = first(c["SS"], c["SS"]["USUBJID"].eq(a1))
        rec = c.set("SS", row, "SSSTRESC", "DEAD")[0]
        c.set("SS", row, "SSORRES", "DEAD")
        return [("SD1252", "DM", s.row(a1) + 1, ""), ("SD1316", "SS", rec, "")]

    @add("SD2004", a2 + "DTH")
    def _():
        last = max(x for d in c.files.values() for col in d.frame.columns if col.endswith("DTC") and "USUBJID" in d.frame
                   for x in d.frame.loc[d.frame["USUBJID"].eq(a2), col] if len(x) >= 10)
        return [("SD2004", "DM", r, "") for r in c.set("DM", s.row(a2), "DTHDTC", shift(last, 1))]

    @add("SD2005", a3 + "DTH")
    def _():
        # DTHFL = Y without DTHDTC, for a subject DS does not record as dead, also breaks MC0402
        rec = c.set("DM", s.row(a3), "DTHFL", "Y")[0]
        return [("SD2005", "DM", rec, ""), ("MC0402", "DM", rec, "")]

    @add("MC0402", d1 + "DS")
    def _():
        # a dead subject whose DS has no DEATH record breaks SD1316 too where SS says DEAD
        c.set("DS", rows_where(ds_, ds_["USUBJID"].eq(d1) & ds_["DSDECOD"].eq("DEATH")), "DSDECOD", "COMPLETED")
        ss = c["SS"]
        dead = rows_where(ss, ss["USUBJID"].eq(d1) & ss["SSSTRESC"].eq("DEAD"))[:1]
        return [("MC0402", "DM", s.row(d1) + 1, "")] + [("SD1316", "SS", r + 1, "") for r in dead]

    @add("SD1317", d2 + "DS")
    def _():
        row = first(ds_, ds_["USUBJID"].eq(d2) & ds_["DSDECOD"].eq("DEATH") & ds_["DSSTDTC"].eq(s.rf(d2, "DTHDTC")))
        return [("SD1317", "DS", r, "") for r in redate("DS", row, "DSSTDTC", "DSSTDY", shift(s.rf(d2, "DTHDTC"), -1))]

    @add("SD1347", f1 + "AE")
    def _():
        row = first(ae, ae_of(f1) & ae["AEOUT"].eq("FATAL") & ae["AESTDTC"].lt(shift(s.rf(f1, "DTHDTC"), -1)))
        return [("SD1347", "AE", r, "") for r in redate("AE", row, "AEENDTC", "AEENDY", shift(s.rf(f1, "DTHDTC"), -1))]

    @add("SD0090", f2 + "AE")
    def _():
        return own("SD0090", "AE", ae_of(f2) & ae["AEOUT"].eq("FATAL"), "AESDTH", "N")

    @add("SD0091", f1 + "AE2")
    def _():
        return own("SD0091", "AE", ae_of(f1) & ae["AESDTH"].eq("Y"), "AEOUT", "RECOVERED/RESOLVED")

    @add("SD2247", "TS")
    def _():
        return own("SD2247", "TS", c["TS"]["TSPARMCD"].eq("SSTDTC"), "TSVAL", "01MAR2017")

    @add("SD2247A", "TS2")
    def _():
        return own("SD2247A", "TS", c["TS"]["TSPARMCD"].eq("SSTDTC"), "TSVAL", "2017-03")

    def mh_redate(rule, subject, iso):
        # MHSTDY follows its MHSTDTC, so that only the date's own rule fires, not SD1090
        row = first(mh, mh["USUBJID"].eq(subject) & mh["MHSTDTC"].ne(""))
        return [(rule, "MH", r, "") for r in redate("MH", row, "MHSTDTC", "MHSTDY", iso)]

    @add("MC0101", a2 + "MH")
    def _():  # a date in the future is after the end of participation too (SD1202)
        return [(r, *f[1:]) for f in mh_redate("MC0101", a2, "2031-01-01") for r in ("MC0101", "SD1202")]

    @add("MC0102", a3 + "MH")
    def _():
        return mh_redate("MC0102", a3, "1850-01-01")

    @add("MC0103", a4 + "DMB")
    def _():
        return [("MC0103", "DM", r, "") for r in c.set("DM", s.row(a4), "BRTHDTC", shift(s.rf(a4, "RFICDTC"), 1))]

    @add("MC0104", d4 + "MH")
    def _():  # after death is after the end of participation too (SD1202)
        return [(r, *f[1:]) for f in mh_redate("MC0104", d4, shift(s.rf(d4, "DTHDTC"), 5)) for r in ("MC0104", "SD1202")]

    @add("MC0105", d3 + "DSR")
    def _():
        row = first(ds_, ds_["USUBJID"].eq(d3) & ds_["DSDECOD"].eq("RANDOMIZED"))
        moved = redate("DS", row, "DSSTDTC", "DSSTDY", shift(s.rf(d3, "DTHDTC"), 1))
        # the randomisation, moved after death, is after the end of participation too (SD1202)
        return [("MC0105", "DM", s.row(d3) + 1, "")] + [("SD1202", "DS", r, "") for r in moved]

    @add("MC0106", a5 + "SV")
    def _():
        row = first(sv, sv["USUBJID"].eq(a5) & sv["VISIT"].eq("SCREENING"))
        return [("MC0106", "SV", r, "") for r in redate("SV", row, "SVSTDTC", "SVSTDY", shift(s.rf(a5, "RFICDTC"), -1))[:1]]

    # the consistency rules (validate/rules/consistency.py)
    @add("SD0021", a1 + "AEEND")
    def _():
        row = first(ae, ae_of(a1, ae["AEENDTC"].ne("") & ae["AEENRTPT"].eq("")))
        c.set("AE", row, "AEENDY", np.nan)
        return [("SD0021", "AE", r, "") for r in c.set("AE", row, "AEENDTC", "")]

    @add("SD0022", a2 + "AESTART")
    def _():
        row = first(ae, ae_of(a2, ae["AESTDTC"].ne("")))
        c.set("AE", row, "AESTDY", np.nan)
        return [("SD0022", "AE", r, "") for r in c.set("AE", row, "AESTDTC", "")]

    @add("SD0026", a3 + "LBORRESU")
    def _():
        return own("SD0026", "LB", lb["USUBJID"].eq(a3) & lb["LBORRESU"].ne(""), "LBORRESU", "")

    @add("SD0029", a4 + "LBSTRESU")
    def _():
        return own("SD0029", "LB", lb["USUBJID"].eq(a4) & lb["LBSTRESU"].ne(""), "LBSTRESU", "")

    @add("SD0006", a5 + "LBLOBXFL")
    def _():
        c.set("LB", rows_where(lb, lb["USUBJID"].eq(a5)), "LBLOBXFL", "")
        return [("SD0006", "DM", s.row(a5) + 1, "")]

    @add("SD1131", a1 + "LBSTRESC")
    def _():
        # a standard result removed where its unit and original result are given breaks SD0030 and SD0036 too
        found = own("SD1131", "LB", lb["USUBJID"].eq(a1) & lb["LBLOBXFL"].eq("Y") & lb["LBSTRESC"].ne("") &
                    lb["LBSTRESU"].ne("") & lb["LBORRES"].ne(""), "LBSTRESC", "")
        return [(r, *f[1:]) for f in found for r in ("SD1131", "SD0030", "SD0036")]

    @add("SD2236", a6 + "DMACT")
    def _():
        other = ("PBO", "Placebo") if s.dm.loc[s.row(a6), "ARMCD"] != "PBO" else ("IL2", "Aldesleukin 2 MIU")
        c.set("DM", s.row(a6), "ACTARM", other[1])
        return [("SD2236", "DM", r, "") for r in c.set("DM", s.row(a6), "ACTARMCD", other[0])]

    @add("SD0084", s.failed[0])
    def _():
        return [("SD0084", "DM", r, "") for r in c.set("DM", s.row(s.failed[0]), "AGE", -12.0)]

    @add("MC0107", a6 + "AGE")
    def _():
        return [("MC0107", "DM", r, "") for r in c.set("DM", s.row(a6), "AGE", 90.0)]

    @add("SD1474", "SUPPDM3")
    def _():
        c.add_column("SUPPDM", "QVALEXTRA", [""] * len(c["SUPPDM"]))
        return [("SD1474", "SUPPDM", None, "QVALEXTRA")]

    @add("SD1475", "TV")
    def _():
        f = c.ds("TV")
        f.columns["VISIT"] = dataclasses.replace(f.columns["VISIT"], label="Visit Name, as the schedule of the protocol says")
        return [("SD1475", "TV", None, "VISIT")]

    @add("SD1457", "TIEXTENDED")
    def _():
        f = c.files["TI"]  # a second TI under a name longer than 8 characters
        c.files["TIEXTENDED"] = dataclasses.replace(f, name="TIEXTENDED", path=Path("tiextended.xpt"))
        return [("SD1457", "TIEXTENDED", None, "")]

    @add("MC0303", a6 + "AETERM")
    def _():
        c.meta("AE", format="Dataset-JSON")  # only Dataset-JSON can hold more than XPT's 200 bytes
        return own("MC0303", "AE", ae_of(a6), "AETERM", "x" * 250)

    @add("MC0304", d2 + "AETERM")
    def _():
        return own("MC0304", "AE", ae_of(d2) & ae["AEOUT"].ne("FATAL"), "AETERM", "Céphalée")

    @add("SD1029", "SUPPDM4")
    def _():
        rows = rows_where(c["SUPPDM"], c["SUPPDM"]["QNAM"].eq("RANDNO"))
        return [("SD1029", "SUPPDM", r, "") for r in c.set("SUPPDM", rows, "QLABEL", "Numéro de randomisation")]

    @add("SD1082", "PR:PRDECOD")
    def _():
        f = c.ds("PR")
        f.columns["PRDECOD"] = dataclasses.replace(f.columns["PRDECOD"], length=f.columns["PRDECOD"].length + 10)
        return [("SD1082", "PR", None, "PRDECOD")]

    @add("SD1071", "TI")
    def _():
        c.meta("TI", size=6 * 1024**3)
        return [("SD1071", "TI", None, "")]

    @add("MC0305", "TA")
    def _():
        c.meta("TA", path=Path("trial_arms.xpt"))
        return [("MC0305", "TA", None, "")]

    @add("SD1097", "SUPPAE")
    def _():
        supp = c["SUPPAE"]
        row = first(supp, supp["USUBJID"].eq(d3) & supp["QNAM"].eq("AETRTEM"))
        seq = float(supp.loc[row, "IDVARVAL"])
        c.delete("SUPPAE", row)
        return [("SD1097", "AE", rows_where(ae, ae_of(d3, ae["AESEQ"].eq(seq)))[0] + 1, "")]

    @add("SD1321", "SUPPAE2")
    def _():
        c.remove("SUPPAE")
        return [("SD1321", "AE", None, "")]

    # DM reference dates (the four rules that contradict one another for a subject never treated)
    def rederive_days(subject):
        """The subject's study days derived again from DM.RFSTDTC, as the mapping does: none without it."""
        rf = c["DM"].loc[s.row(subject), "RFSTDTC"]
        for name in list(c.files):
            frame = c[name]
            prefix = name[:2] if len(name) == 2 else ""
            if not prefix or name == "DM" or "USUBJID" not in frame:
                continue
            for dtc, dy in ((f"{prefix}DTC", f"{prefix}DY"), (f"{prefix}STDTC", f"{prefix}STDY"),
                            (f"{prefix}ENDTC", f"{prefix}ENDY")):
                if dtc in frame and dy in frame:
                    mine = frame.index[frame["USUBJID"].eq(subject)]
                    days = [day(v[:10], rf) if len(v) >= 10 and len(rf) >= 10 else np.nan for v in frame.loc[mine, dtc]]
                    if len(mine):
                        c.ds(name).frame.loc[mine, dy] = days

    @add("SD0087", a5 + "RF")
    def _():
        found = [("SD0087", "DM", r, "") for r in c.set("DM", s.row(a5), "RFSTDTC", "")]
        rederive_days(a5)
        return found

    @add("SD0088", a6 + "RF")
    def _():
        return [("SD0088", "DM", r, "") for r in c.set("DM", s.row(a6), "RFENDTC", "")]

    @add("SD1366", s.failed[0] + "RF")
    def _():
        return [("SD1366", "DM", r, "") for r in c.set("DM", s.row(s.failed[0]), "RFENDTC", s.rf(s.failed[0], "RFICDTC"))]

    @add("SD1373", s.failed[1] + "RF")
    def _():
        found = [("SD1373", "DM", r, "") for r in c.set("DM", s.row(s.failed[1]), "RFSTDTC", s.rf(s.failed[1], "RFICDTC"))]
        rederive_days(s.failed[1])
        return found

    # ------------------------------------------------------------ study days present, in order, within participation
    def dropped(rule, name, variable, expected=False):
        """Drop a variable; an expected one (SD0057) is missing too, by the nature of the fault."""
        c.drop_column(name, variable)
        return [(rule, name, None, variable)] + ([("SD0057", name, None, variable)] if expected else [])

    add("SD1083", "VS:VSDY")(lambda: dropped("SD1083", "VS", "VSDY"))
    add("SD1087", "SE:SESTDY")(lambda: dropped("SD1087", "SE", "SESTDY"))
    add("SD1091", "SE:SEENDY")(lambda: dropped("SD1091", "SE", "SEENDY"))
    add("SD2270", "CP:CPDTC")(lambda: dropped("SD2270", "CP", "CPDTC", expected=True))
    add("SD2271", "PR:PRSTDTC")(lambda: dropped("SD2271", "PR", "PRSTDTC", expected=True))
    add("SD2272", "CM:CMENDTC")(lambda: dropped("SD2272", "CM", "CMENDTC"))

    def complete(name, subject, dtc, dy):
        frame = c[name]
        return frame["USUBJID"].eq(subject) & frame[dtc].str.len().ge(10) & frame[dy].notna()

    @add("SD1084", a1 + "LBDY")
    def _():
        return own("SD1084", "LB", complete("LB", a1, "LBDTC", "LBDY"), "LBDY", np.nan)

    @add("SD1088", a2 + "DSSTDY")
    def _():
        return own("SD1088", "DS", complete("DS", a2, "DSSTDTC", "DSSTDY"), "DSSTDY", np.nan)

    @add("SD1092", a3 + "SVENDY")
    def _():
        return own("SD1092", "SV", complete("SV", a3, "SVENDTC", "SVENDY"), "SVENDY", np.nan)

    def partial(rule, name, subject, dtc, dy):
        """A date cut to its month, its study day left: the day was imputed."""
        row = first(c[name], complete(name, subject, dtc, dy))
        return [(rule, name, r, "") for r in c.set(name, row, dtc, c[name].loc[row, dtc][:7])]

    add("SD1085", a4 + "QSDTC")(lambda: partial("SD1085", "QS", a4, "QSDTC", "QSDY"))
    add("SD1089", a5 + "CMSTDTC")(lambda: partial("SD1089", "CM", a5, "CMSTDTC", "CMSTDY"))
    add("SD1093", a6 + "ECENDTC")(lambda: partial("SD1093", "EC", a6, "ECENDTC", "ECENDY"))

    @add("SD0012", a1 + "AEENDY")
    def _():
        # an end day before the start day is also the wrong day for its date (SD1094)
        row = first(ae, dated_ae(a1))
        return [(r, "AE", n, "") for n in c.set("AE", row, "AEENDY", ae.loc[row, "AESTDY"] - 1) for r in ("SD0012", "SD1094")]

    @add("SD1330", "LB:LBENDY")
    def _():
        lb_ = c["LB"]
        c.add_column("LB", "LBENDTC", lb_["LBDTC"].copy(), after="LBDTC", label="End Date/Time of Specimen Collection")
        c.add_column("LB", "LBENDY", lb_["LBDY"].copy(), after="LBDY", label="Study Day of End of Observation")
        row = first(lb_, complete("LB", d1, "LBDTC", "LBDY") & lb_["LBDY"].gt(2))
        redate("LB", row, "LBENDTC", "LBENDY", shift(lb_.loc[row, "LBDTC"], -1))
        return [("SD1330", "LB", row + 1, "")]

    @add("SD1135", a2 + "ECSTDY")
    def _():
        # a negative day where the date gives a positive one is also the wrong day (SD1090)
        row = first(c["EC"], complete("EC", a2, "ECSTDTC", "ECSTDY"))
        return [(r, "EC", n, "") for n in c.set("EC", row, "ECSTDY", -1.0) for r in ("SD1135", "SD1090")]

    def after_participation(rule, name, subject, dtc, dy):
        row = first(c[name], complete(name, subject, dtc, dy))
        return [(rule, name, r, "") for r in redate(name, row, dtc, dy, shift(s.rf(subject, "RFPENDTC"), 1))]

    add("SD1202", a3 + "MHSTDTC")(lambda: after_participation("SD1202", "MH", a3, "MHSTDTC", "MHSTDY"))
    add("SD1203", a4 + "SSDTC")(lambda: after_participation("SD1203", "SS", a4, "SSDTC", "SSDY"))
    add("SD1204", a1 + "CMENDTC")(lambda: after_participation("SD1204", "CM", a1, "CMENDTC", "CMENDY"))

    # ------------------------------------------------------------------------------ values and variables in pairs
    def blank(rule, name, subject, needed, partner, value=""):
        frame = c[name]
        mask = frame[needed].notna() & frame[partner].notna() if frame[needed].dtype.kind == "f" else \
            frame[needed].ne("") & frame[partner].astype(str).ne("")
        return own(rule, name, mask & (frame["USUBJID"].eq(subject) if subject else True), needed, value)

    add("SD0027", a1 + "VSORRES")(lambda: blank("SD0027", "VS", a1, "VSORRES", "VSORRESU"))
    # a standard result missing where its unit is given is also missing where its original result is (SD0036)
    add("SD0030", a2 + "RESTRESC")(lambda: [(r, *f[1:]) for f in blank("SD0030", "RE", a2, "RESTRESC", "RESTRESU")
                                            for r in ("SD0030", "SD0036")])
    add("SD0036", a3 + "SSSTRESC")(lambda: blank("SD0036", "SS", a3, "SSSTRESC", "SSORRES"))
    add("SD0032", a4 + "CPTPT")(lambda: blank("SD0032", "CP", a4, "CPTPT", "CPTPTNUM"))
    add("SD0033", a5 + "CPTPTNUM")(lambda: blank("SD0033", "CP", a5, "CPTPTNUM", "CPTPT", np.nan))
    add("SD0035", a6 + "EXDOSU")(lambda: blank("SD0035", "EX", a6, "EXDOSU", "EXDOSE"))
    add("SD1098", "DS:DSCAT")(lambda: blank("SD1098", "DS", None, "DSCAT", "DSSCAT"))
    add("SD0050", a1 + "MHENTPT")(lambda: blank("SD0050", "MH", a1, "MHENTPT", "MHENRTPT"))
    add("SD1099", "DS:-DSCAT")(lambda: dropped("SD1099", "DS", "DSCAT", expected=True))
    add("SD1101", "AE:AEENTPT")(lambda: dropped("SD1101", "AE", "AEENTPT"))
    add("SD1102", "CM:CMENRTPT")(lambda: dropped("SD1102", "CM", "CMENRTPT"))
    add("SD1129", "DM:AGE")(lambda: dropped("SD1129", "DM", "AGE", expected=True))

    @add("SD0028", a2 + "LBSTNRHI")
    def _():
        lb_ = c["LB"]
        row = first(lb_, lb_["USUBJID"].eq(a2) & lb_["LBSTNRLO"].notna() & lb_["LBSTNRHI"].notna())
        return [("SD0028", "LB", r, "") for r in c.set("LB", row, "LBSTNRHI", lb_.loc[row, "LBSTNRLO"] - 1)]

    add("SD0014", a3 + "ECDOSE")(lambda: own("SD0014", "EC", c["EC"]["USUBJID"].eq(a3) & c["EC"]["ECDOSE"].gt(0),
                                             "ECDOSE", -1.0))
    add("SD1002", a4 + "RFENDTC")(lambda: [("SD1002", "DM", r, "") for r in c.set("DM", s.row(a4), "RFENDTC",
                                                                                   shift(s.rf(a4), -1))])
    add("SD1208", a5 + "RFXENDTC")(lambda: [("SD1208", "DM", r, "") for r in c.set("DM", s.row(a5), "RFXENDTC",
                                                                                   shift(s.rf(a5, "RFXSTDTC"), -1))])
    add("SD1209", a6 + "RFXENDTC")(lambda: [("SD1209", "DM", r, "") for r in c.set("DM", s.row(a6), "RFXENDTC", "")])
    add("SD1121", d2 + "AGE")(lambda: [("SD1121", "DM", r, "") for r in c.set("DM", s.row(d2), "AGE", np.nan)])

    @add("SD1001", a1 + "SUBJID")
    def _():
        c.set("DM", s.row(a1), "SUBJID", s.dm.loc[s.row(a2), "SUBJID"])
        return [("SD1001", "DM", s.row(a1) + 1, ""), ("SD1001", "DM", s.row(a2) + 1, "")]

    @add("SD1038", "TS:TSSEQ")
    def _():
        ts = c["TS"]
        repeated = ts["TSPARMCD"].duplicated(keep="first")
        row = first(ts, repeated)
        earlier = first(ts, ts["TSPARMCD"].eq(ts.loc[row, "TSPARMCD"]))
        return [("SD1038", "TS", r, "") for r in c.set("TS", row, "TSSEQ", ts.loc[earlier, "TSSEQ"])]

    return inj


# rule -> batch; injections of one batch touch different subjects, datasets or variables
SDTM_BATCHES = [
    ["SD0001", "SD0056", "SD0057", "SD0058", "SD1079", "SD0055", "SD0002", "SD1476", "SD1123", "SD0004", "SD0005",
     "SD0064", "SD0065", "SD0072", "SD0075", "SD0046", "SD0040", "CT2003", "SD1011", "SD1086", "SD0038", "SD1474",
     "SD1475", "SD1082", "SD1071", "MC0305", "SD1015", "SD0067", "SD2247"],
    ["SD0077", "SD1043", "SD1440", "SD1443", "SD1287", "SD1288", "SD1242", "SD1243", "CT2001", "CT2002", "SD0003",
     "SD1090", "SD1094", "SD0023", "SD1457", "SD1029", "SD2247A"],
    ["SD0086", "MC0401", "SD1339", "SD0013", "SD0071", "SD2002", "SD2003", "SD1358", "SD1359", "SD1360", "SD1361",
     "SD1362", "SD0084", "MC0101", "MC0102", "MC0104", "MC0303", "MC0304", "SD1097"],
    ["SD1253", "SD1254", "SD1255", "SD1256", "SD1252", "MC0402", "SD1317", "SD1347", "SD0090", "MC0103", "MC0106",
     "MC0107", "SD1076"],
    ["SD2004", "SD2005", "SD0091", "MC0105", "SD0083", "SD1321", "SD0087", "SD0088", "SD1366", "SD1373"],
    ["SD0021", "SD0022", "SD0026", "SD0029", "SD0006", "SD2236", "SD1131"],
    ["SD1083", "SD1087", "SD1091", "SD2270", "SD2271", "SD2272", "SD1084", "SD1088", "SD1092", "SD1085", "SD0012"],
    ["SD1089", "SD1093", "SD1330", "SD1135", "SD1202", "SD1203", "SD1204"],
    ["SD0027", "SD0030", "SD0036", "SD0032", "SD0033", "SD0035", "SD1098", "SD0050", "SD0028", "SD0014", "SD1002",
     "SD1208", "SD1209", "SD1001", "SD1038", "SD1121"],
    ["SD1099", "SD1101", "SD1102", "SD1129"],
]


def run_batch(files, baseline, build, batch, standard, study=None, **kw):
    c = Copy(files)
    injections = build(c, (study or Study)(c))
    touched = [injections[rule][0] for rule in batch]
    assert len(touched) == len(set(touched)), f"two injections of the batch touch {touched}"
    expected, by_rule = Counter(), {}
    for rule in batch:
        got = injections[rule][1]()
        assert got, f"{rule}: the injection found nothing to change"
        by_rule[rule] = got
        expected.update(got)
    report = validate_files(c.files, standard, today=TODAY, **kw)
    assert not [n for n in report.notes if "could not run" in n], report.notes
    found = new_findings(report, baseline, c)
    extra, missing = found - expected, expected - found
    assert not extra and not missing, (f"\nfired but not injected: {sorted(extra)}\ninjected but not fired: "
                                       f"{sorted(missing)}\nby injection: {by_rule}")


@pytest.fixture(scope="session")
def sdtm_baseline(clean):
    sdtm, _ = clean
    return {True: validate_files(sdtm, "sdtmig-3.4", today=TODAY).findings,
            False: validate_files(sdtm, "sdtmig-3.4", today=TODAY, detect_study=False).findings}


@pytest.mark.parametrize("batch", range(len(SDTM_BATCHES)))
def test_sdtm_faults_fire_exactly_their_rules(clean, sdtm_baseline, batch):
    sdtm, _ = clean
    run_batch(sdtm, sdtm_baseline[False], sdtm_injections, SDTM_BATCHES[batch], "sdtmig-3.4", detect_study=False)


# ------------------------------------------------------------------------------------------------ study metadata

def metadata_injections(c: Copy, s: Study, spec) -> dict[str, tuple[str, callable]]:
    """Faults only the study's own metadata (specs/, as its define.xml will say) can see."""
    supp, ae = c["SUPPDM"], c["AE"]
    a1, a2, a3, a4 = s.alive[:4]

    def own(rule, name, mask, variable, value):
        return [(rule, name, r, "") for r in c.set(name, first(c[name], mask), variable, value)]

    def qval(subject, qnam):
        return supp["USUBJID"].eq(subject) & supp["QNAM"].eq(qnam)

    def sd1229():
        # a null QVAL is also null in a Required variable (SD0002) and, as specs/ marks it, a Mandatory one
        got = own("SD1229", "SUPPDM", qval(a3, "RANDNO"), "QVAL", "")
        extra = [("SD0002", "SUPPDM", got[0][2], "")]
        if spec.sdtm["SUPPDM"].variable("QVAL").mandatory:
            extra.append(("MC0301", "SUPPDM", got[0][2], ""))
        return got + extra


    def mc0108():
        sv = c["SV"]
        row = first(sv, sv["USUBJID"].eq(a1) & sv["VISIT"].eq("MONTH 2"))
        rand = c["DS"].loc[c["DS"]["USUBJID"].eq(a1) & c["DS"]["DSDECOD"].eq("RANDOMIZED"), "DSSTDTC"].iloc[0]
        late = shift(rand, 56 + 40)
        for dtc, dy in (("SVSTDTC", "SVSTDY"), ("SVENDTC", "SVENDY")):
            c.set("SV", row, dtc, late)
            got = c.set("SV", row, dy, day(late, s.rf(a1)))
        return [("MC0108", "SV", got[0], "")]

    return {
        "SD0037": (a1, lambda: own("SD0037", "DM", s.dm["USUBJID"].eq(a1), "SEX", "U")),
        "SD1228": (a2, lambda: own("SD1228", "SUPPDM", qval(a2, "STRONSET"), "QVAL", "Spinal")),
        "SD1229": (a3, sd1229),
        "SD1231": (a4, lambda: own("SD1231", "SUPPDM", qval(a4, "RANDNO"), "QVAL", "12345678901")),
        # IDVAR is Mandatory in specs/ (SUPPMH qualifies an MH record) but only Expected in SDTMIG
        "MC0301": ("SUPPMH", lambda: own("MC0301", "SUPPMH", c["SUPPMH"]["USUBJID"].eq(a2), "IDVAR", "")),
        "MC0302": ("DM", lambda: own("MC0302", "DM", s.dm["USUBJID"].eq(a3), "SITEID",
                                     "X" * (spec.sdtm["DM"].variable("SITEID").length + 1))),
        "SD1152": ("TI", lambda: own("SD1152", "TI", c["TI"].index == 1, "IETESTCD", c["TI"].loc[0, "IETESTCD"])),
        "MC0108": ("SV", mc0108),
    }


def test_study_metadata_faults_fire_exactly_their_rules(clean, sdtm_baseline, spec):
    sdtm, _ = clean
    run_batch(sdtm, sdtm_baseline[True], lambda c, s: metadata_injections(c, s, spec),
              ["SD0037", "SD1228", "SD1229", "SD1231", "MC0301", "MC0302", "SD1152", "MC0108"], "sdtmig-3.4")


# ------------------------------------------------------------------------------------------------ datasets and TS

def structure_injections(c: Copy, s: Study) -> dict[str, tuple[str, callable]]:
    from cdisc_mirocals.validate.rules.trial_summary import TS_REQUIRED

    def drop_parameter(rule, parameter):
        def inject():
            c.delete("TS", rows_where(c["TS"], c["TS"]["TSPARMCD"].eq(parameter)))
            return [(rule, "TS", None, "TSPARMCD")]
        return inject

    inj = {rule: (f"TS:{p}", drop_parameter(rule, p)) for rule, p in TS_REQUIRED.items()
           if p in set(c["TS"]["TSPARMCD"])}

    def remove(rule, *names):
        def inject():
            for name in names:
                c.remove(name)
            return [(rule, names[0], None, "")]
        return inject

    inj["SD1020"] = ("DM", remove("SD1020", "DM", "SUPPDM"))  # SUPPDM goes too: it would qualify nothing
    inj["SD1115"] = ("TS", remove("SD1115", "TS"))
    return inj


CONDITIONS = {"ADDON", "HLTSUBJI", "STYPE"}  # parameters on which others depend: in a batch of their own


def _ts_batches():
    from cdisc_mirocals.validate.rules.trial_summary import TS_REQUIRED

    first_, second = [], []
    for rule, parameter in TS_REQUIRED.items():
        (second if parameter in CONDITIONS else first_).append(rule)
    return [first_, second, ["SD1020"], ["SD1115"]]


@pytest.mark.parametrize("batch", range(4))
def test_missing_datasets_and_ts_parameters(clean, sdtm_baseline, batch):
    sdtm, _ = clean
    present = set(sdtm["TS"].frame["TSPARMCD"])
    from cdisc_mirocals.validate.rules.trial_summary import TS_REQUIRED
    rules = [r for r in _ts_batches()[batch] if r not in TS_REQUIRED or TS_REQUIRED[r] in present]
    run_batch(sdtm, sdtm_baseline[False], structure_injections, rules, "sdtmig-3.4", detect_study=False)


# ------------------------------------------------------------------------------------------------ define.xml

def study_define(spec, names):
    """The study's define.xml as the define-xml stage will write it from specs/: the same metadata objects."""
    from cdisc_mirocals.validate.define_reader import Define
    std = spec.sdtm
    meta = dataclasses.replace(std, datasets={n: d for n, d in std.datasets.items() if n in names})
    return Define(Path("define.xml"), "2.1", "SDTMIG", "3.4", meta, {n: f"{n.lower()}.xpt" for n in names})


def model_position(domain: str, variable: str, columns: list[str]) -> str:
    """The column a new variable goes after, in the model's order (so SD1079 does not fire)."""
    from cdisc_mirocals.validate.model import load_model
    model = load_model("sdtmig-3.4").domains[domain]
    order = model.find(variable).order
    return [c for c in columns if model.find(c) is not None and model.find(c).order < order][-1]


def define_injections(c: Copy, s: Study, define) -> dict[str, tuple[str, callable]]:
    meta = define.metadata

    def redefine(name, variable, **changes):
        ds = meta.datasets[name]
        variables = tuple(dataclasses.replace(v, **changes) if v.name == variable else v for v in ds.variables)
        meta.datasets[name] = dataclasses.replace(ds, variables=variables)

    def sd0061():
        c.remove("PR")
        return [("SD0061", "PR", None, "")]

    def sd1063():
        c.files["TIX"] = dataclasses.replace(c.files["TI"], name="TIX", path=Path("tix.xpt"))
        return [("SD1063", "TIX", None, "")]

    def sd0054():
        c.drop_column("AE", "AEENTPT")  # AEENRTPT is left without its end time point too (SD1101)
        return [("SD0054", "AE", None, "AEENTPT"), ("SD1101", "AE", None, "AEENTPT")]

    def sd0060():
        c.add_column("CM", "CMDOSFRM", [""] * len(c["CM"]), after=model_position("CM", "CMDOSFRM", list(c["CM"].columns)))
        return [("SD0060", "CM", None, "CMDOSFRM")]

    def sd1324():
        f = c.ds("VS")
        f.columns["VSTEST"] = dataclasses.replace(f.columns["VSTEST"], label="Vital Sign Test")
        return [("SD1324", "VS", None, "VSTEST")]

    def sd1325():
        c.meta("TV", label="Visits")
        return [("SD1325", "TV", None, "")]

    def sd0059():
        # a numeric variable written as text is against the model too (SD0055)
        f = c.ds("TV")
        f.frame["VISITDY"] = f.frame["VISITDY"].map("{:g}".format).astype(object)
        f.columns["VISITDY"] = Column("VISITDY", f.columns["VISITDY"].label, "Char",
                                      int(f.frame["VISITDY"].str.len().max()))
        return [("SD0059", "TV", None, "VISITDY"), ("SD0055", "TV", None, "VISITDY")]

    def mc0306():
        redefine("SE", "STUDYID", length=c.files["SE"].columns["STUDYID"].length + 1)
        return [("MC0306", "SE", None, "STUDYID")]

    def mc0307():
        ds = meta.datasets["SS"]
        order = {v.name: v.order for v in ds.variables}
        a, b = "SSTESTCD", "SSTEST"
        redefine("SS", a, order=order[b])
        redefine("SS", b, order=order[a])
        meta.datasets["SS"] = dataclasses.replace(meta.datasets["SS"], variables=tuple(
            sorted(meta.datasets["SS"].variables, key=lambda v: v.order)))
        return [("MC0307", "SS", None, "SSTESTCD")]  # the first variable out of define.xml's order

    def mc0308():
        vlm = next(v for v in meta.valuelevel if v.dataset == "SUPPDM" and v.where[0].variable == "QNAM")
        where = (dataclasses.replace(vlm.where[0], values=(vlm.where[0].values[0] + "X",)),)
        object.__setattr__(define, "metadata", dataclasses.replace(meta, valuelevel=tuple(
            dataclasses.replace(v, where=where) if v is vlm else v for v in meta.valuelevel)))
        return [("MC0308", "SUPPDM", None, "QVAL")]

    return {"SD0061": ("PR", sd0061), "SD1063": ("TIX", sd1063), "SD0054": ("AE", sd0054), "SD0060": ("CM", sd0060),
            "SD1324": ("VS", sd1324), "SD1325": ("TV", sd1325), "SD0059": ("TV2", sd0059), "MC0306": ("SE", mc0306),
            "MC0307": ("SS", mc0307), "MC0308": ("SUPPDM", mc0308)}


def test_define_faults_fire_exactly_their_rules(clean, spec):
    sdtm, _ = clean
    baseline = validate_files(sdtm, "sdtmig-3.4", today=TODAY, detect_study=False,
                              define=study_define(spec, set(sdtm))).findings
    define = study_define(spec, set(sdtm))  # injections change this copy of the metadata
    run_batch(sdtm, baseline, lambda c, s: define_injections(c, s, define), list(define_injections(
        Copy(sdtm), None, study_define(spec, set(sdtm)))), "sdtmig-3.4", detect_study=False, define=define)


# ------------------------------------------------------------------------------------------------ ADaM

class AdamStudy:
    def __init__(self, c: Copy):
        adsl = c["ADSL"]
        self.adsl = adsl
        itt = adsl["ITTFL"].eq("Y")
        # subjects with RACE first: a copy of their record, or a change of their RACE, adds no other finding
        self.subjects = list(adsl.loc[itt & adsl["RACE"].ne(""), "USUBJID"]) + list(adsl.loc[itt & adsl["RACE"].eq(""),
                                                                                          "USUBJID"])

    def row(self, subject):
        return rows_where(self.adsl, self.adsl["USUBJID"].eq(subject))[0]


def adam_injections(c: Copy, s: AdamStudy, sdtm=None) -> dict[str, tuple[str, callable]]:
    from cdisc_mirocals.validate.rules.adam import DM_COPIES

    adtte, adae = c["ADTTE"], c["ADAE"]
    subj = s.subjects

    def at(rule, name, row, variable, value):
        return [(rule, name, r, "") for r in c.set(name, row, variable, value)]

    def adsl(rule, i, variable, value):
        return at(rule, "ADSL", s.row(subj[i]), variable, value)

    def drop_subject(subject):
        """A randomised subject of DM left out of the ADaM: out of ADSL, and so out of every other ADaM dataset
        (else AD0256)."""
        for name in [n for n in c.files if "USUBJID" in c[n].columns]:
            c.delete(name, rows_where(c[name], c[name]["USUBJID"].eq(subject)))
        return [("AD2001", "ADSL", None, "USUBJID")]

    inj = {
        "AD0047": ("ADSL:AGE", lambda: (c.drop_column("ADSL", "AGE"), [("AD0047", "ADSL", None, "AGE")])[1]),
        "AD0196": (subj[0], lambda: adsl("AD0196", 0, "TRT01P", "")),
        "AD0054": ("ADSLDUP", lambda: [("AD0054", "ADSL", c.append("ADSL", s.row(subj[1])), "")]),
        "AD0053": (subj[2], lambda: adsl("AD0053", 2, "STUDYID", "OTHER")),
        "AD2001": (subj[-1], lambda: drop_subject(subj[-1])),
        "AD0005B": (subj[3], lambda: adsl("AD0005B", 3, "SAFFL", "YES")),
        "AD0121": (subj[4], lambda: adsl("AD0121", 4, "TRTEDT", s.adsl.loc[s.row(subj[4]), "TRTSDT"] - 1)),
    }
    changes = {"AGE": lambda v: v + 1, "AGEU": lambda v: "MONTHS", "SEX": lambda v: "F" if v == "M" else "M",
               "RACE": lambda v: "ASIAN" if v != "ASIAN" else "WHITE", "SUBJID": lambda v: "99-9999",
               "SITEID": lambda v: "99", "ARM": lambda v: "Placebo" if v != "Placebo" else "Aldesleukin 2 MIU",
               "ACTARM": lambda v: "Placebo" if v != "Placebo" else "Aldesleukin 2 MIU"}
    order = ["AD0207"] + [r for r in sorted(DM_COPIES) if r != "AD0207"]  # RACE: a subject with a RACE
    for i, rule in enumerate(order, start=5 if len(subj) > 12 else 0):
        variable = DM_COPIES[rule]
        inj[rule] = (subj[i] + variable, lambda r=rule, v=variable, i=i: adsl(r, i, v, changes[v](s.adsl.loc[s.row(subj[i]),
                                                                                                       v])))

    def tte_row(extra=True):
        taken = inj.setdefault("_tte", [])
        row = first(adtte, ~adtte.index.isin(taken) & extra)
        taken.append(row)
        return row

    def ae_row(mask):
        taken = inj.setdefault("_ae", [])
        row = first(adae, ~adae.index.isin(taken) & mask)
        taken.append(row)
        return row

    def holding_its_source_date():
        """An ADTTE record whose SRCDOM/SRCVAR/SRCSEQ record (in SDTM) holds ADT, a day after STARTDT at least."""
        for row, r in adtte.iterrows():
            src = (sdtm or {}).get(r["SRCDOM"])
            seq = f"{r['SRCDOM']}SEQ"
            if src is None or pd.isna(r["SRCSEQ"]) or seq not in src.frame or r["ADT"] - r["STARTDT"] < 2:
                continue
            hit = src.frame[src.frame["USUBJID"].eq(r["USUBJID"]) & src.frame[seq].eq(r["SRCSEQ"])]
            if len(hit) and str(hit[r["SRCVAR"]].iloc[0])[:10] == (SAS + pd.Timedelta(days=r["ADT"])).strftime("%Y-%m-%d"):
                inj.setdefault("_tte", []).append(row)
                return row
        raise AssertionError("no ADTTE record holds its source date to inject MC0204 into")

    during = adae["ASTDT"].ge(adae["TRTSDT"]) & adae["ASTDT"].le(adae["TRTEDT"]) & adae["TRTEMFL"].eq("Y")
    inj.update({
        "AD0141": ("ADTTE:PARAM", lambda: at("AD0141", "ADTTE", tte_row(), "PARAM", "Some other parameter")),
        "AD0142": ("ADTTE:PARAMCD", lambda: at("AD0142", "ADTTE", tte_row(), "PARAMCD", "OSX")),
        "AD0169": ("ADTTE:CNSR", lambda: at("AD0169", "ADTTE", tte_row(), "CNSR", 0.5)),
        "MC0201": ("ADTTE:AVAL", lambda: at("MC0201", "ADTTE", tte_row(), "AVAL", -5.0)),
        "MC0202": ("ADTTE:STARTDT", lambda: (lambda r: at("MC0202", "ADTTE", r, "STARTDT", adtte.loc[r, "ADT"] + 10))(
            tte_row())),
        "MC0204": ("ADTTE:ADT", lambda: (lambda r: at("MC0204", "ADTTE", r, "ADT", adtte.loc[r, "ADT"] - 1))(
            holding_its_source_date())),
        "MC0203": ("ADTTE:SRCSEQ", lambda: at("MC0203", "ADTTE", tte_row(adtte["SRCSEQ"].notna()), "SRCSEQ", 9999.0)),
        "AD0256": ("ADAE:USUBJID", lambda: at("AD0256", "ADAE", ae_row(True), "USUBJID", "MIROCALS-99-9999")),
        "AD0046": ("ADAE:ASTDY", lambda: at("AD0046", "ADAE", ae_row(True), "ASTDY", 0.0)),
        "MC0205": ("ADAE:TRTEMFL", lambda: at("MC0205", "ADAE", ae_row(during), "TRTEMFL", "")),
        "AD0361": ("ADAE:ASTDT", lambda: (lambda r: at("AD0361", "ADAE", r, "ASTDT", adae.loc[r, "AENDT"] + 1))(
            ae_row(during & adae["AENDT"].notna() & (adae["AENDT"] + 1 <= adae["TRTEDT"])))),
    })

    @lambda fn: inj.__setitem__("AD0018", ("ADSL:label", fn))
    def _():
        f = c.ds("ADSL")
        f.columns["TRT01P"] = dataclasses.replace(f.columns["TRT01P"], label="Planned Treatment")
        return [("AD0018", "ADSL", None, "TRT01P")]

    @lambda fn: inj.__setitem__("AD0161", ("ADTTE:AW", fn))
    def _():
        # an analysis window on every ADTTE record, labelled as ADaMIG has it; one record without its end
        n = len(c["ADTTE"])
        c.add_column("ADTTE", "AWU", ["DAYS"] * n, label="Analysis Window Unit")
        c.add_column("ADTTE", "AWLO", [1.0] * n, label="Analysis Window Beginning Timepoint")
        c.add_column("ADTTE", "AWHI", [640.0] * n, label="Analysis Window Ending Timepoint")
        return at("AD0161", "ADTTE", tte_row(), "AWHI", np.nan)

    return inj


ADAM_BATCHES = [["AD0196", "AD0054", "AD0053", "AD0005B", "AD0121", "AD0141", "AD0142", "AD0169",
                 "MC0201", "MC0202", "MC0203", "MC0204", "AD0256", "AD0046", "MC0205", "AD0361", "AD0204", "AD0205", "AD0206",
                 "AD0207", "AD0208", "AD0209", "AD0210", "AD0367", "AD0018", "AD0161"],
                ["AD0047", "AD2001"]]  # a deleted record renumbers the others: alone with a dataset-level fault


@pytest.fixture(scope="session")
def adam_baseline(clean):
    sdtm, adam = clean
    return validate_files(adam, "adamig-1.3", today=TODAY, detect_study=False, sdtm_files=sdtm).findings


@pytest.mark.parametrize("batch", range(len(ADAM_BATCHES)))
def test_adam_faults_fire_exactly_their_rules(clean, adam_baseline, batch):
    sdtm, adam = clean
    run_batch(adam, adam_baseline, lambda c, s: adam_injections(c, s, sdtm), ADAM_BATCHES[batch], "adamig-1.3",
              detect_study=False, sdtm_files=sdtm, study=AdamStudy)


def test_adsl_missing_and_sdtm_missing(clean, adam_baseline):
    sdtm, adam = clean
    # AD0001: no ADSL (ADTTE and ADAE then have no ADSL to be checked against, which adds nothing)
    c = Copy(adam)
    c.remove("ADSL")
    report = validate_files(c.files, "adamig-1.3", today=TODAY, detect_study=False, sdtm_files=sdtm)
    assert new_findings(report, adam_baseline, c) == Counter({("AD0001", "ADSL", None, ""): 1})
    # AD1024: no SDTM beside the ADaM: the checks against DM cannot run, and say so
    report = validate_files(adam, "adamig-1.3", today=TODAY, detect_study=False, sdtm_files=None)
    assert new_findings(report, adam_baseline, Copy(adam)) == Counter({("AD1024", "ADSL", None, ""): 1})


def test_define_missing(clean, spec):
    """DD0101: the clean copy with its define.xml has none; without it, that alone is new."""
    sdtm, _ = clean
    with_define = validate_files(sdtm, "sdtmig-3.4", today=TODAY, detect_study=False,
                                 define=study_define(spec, set(sdtm)))
    assert not (with_define.findings["rule"] == "DD0101").any()
    without = validate_files(sdtm, "sdtmig-3.4", today=TODAY, detect_study=False)
    assert new_findings(without, with_define.findings, Copy(sdtm)) == Counter({("DD0101", "define.xml", None, ""): 1})


# Rules the clean output breaks at the dataset level, so a fault cannot make them fire again: the test proves
# each does fire on the clean copy, with the reason; once the data no longer breaks one, move it to an injection.
ALREADY: dict[str, str] = {}


def test_every_rule_has_its_fault(clean, sdtm_baseline, spec):
    sdtm, adam = clean
    c = Copy(sdtm)
    s = Study(c)
    injected = set(sdtm_injections(c, s)) | set(metadata_injections(c, s, spec)) | set(structure_injections(c, s)) \
        | set(define_injections(c, s, study_define(spec, set(sdtm)))) \
        | {r for r in adam_injections(Copy(adam), AdamStudy(Copy(adam))) if not r.startswith("_")} \
        | {"AD0001", "AD1024", "DD0101"}
    coupled = {"SD0090", "SD0091", "SD0055"}  # injected alone too, and as partners
    batched = {r for b in SDTM_BATCHES + ADAM_BATCHES + _ts_batches() for r in b} | set(metadata_injections(c, s, spec)) \
        | set(define_injections(c, s, study_define(spec, set(sdtm)))) | {"AD0001", "AD1024", "DD0101"}
    assert injected <= batched | coupled, sorted(injected - batched)
    rules = set(load_all())
    for rule in ALREADY:
        assert (sdtm_baseline[False]["rule"] == rule).any(), f"{rule} no longer fires on the clean study: inject it"
    partners = {"MC0109": "SD1256", "SD1316": "SD1252"}  # they only break with another rule: injected with it
    assert all(host in injected for host in partners.values())
    missing = rules - injected - set(ALREADY) - set(partners)
    assert not missing, f"rules without an injected fault: {sorted(missing)}"
