"""The one report model of a validation run; every writer (text, JSON, HTML, XLSX, CSV) renders it.

A report is three tables, as Pinnacle 21's is: the datasets checked, the rules run, and the
findings (one row per finding: rule, severity, dataset, record, count, USUBJID, --SEQ, variables, values).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SEVERITIES = ("Reject", "Error", "Warning", "Notice")
FAIL_ON = ("reject", "error", "warning", "never")
# count: the records a finding stands for, 1 but for a cause reported once (validate/causes.py), whose
# records the detail lists
# p21, fda, cdisc: every ID the finding answers to, so that it can be matched with any engine's report (P21's ID,
# the FDA's business and validator rules, CDISC's conformance rules); publisher: both, as P21's Publisher ID
FINDING_COLUMNS = ["rule", "severity", "dataset", "record", "count", "usubjid", "seq", "variables", "values",
                   "message", "detail", "category", "p21", "fda", "cdisc", "publisher"]
DATASET_COLUMNS = ["dataset", "label", "class", "records", "variables", "file", "format", "model"]
ISSUE_KEYS = ["dataset", "rule", "p21", "fda", "cdisc", "publisher", "message", "severity"]
RULE_COLUMNS = ["rule", "p21", "fda", "cdisc", "publisher", "severity", "family", "category", "message", "description"]


@dataclass
class Report:
    folder: str
    standard: str  # sdtmig-3.4 | adamig-1.3
    standard_source: str  # how the standard was chosen: given, define.xml, detected from the data
    define: str  # the define.xml used, or ""
    metadata: str  # where study metadata came from: specs/, define.xml, or none
    ct: str  # controlled terminology releases
    datasets: pd.DataFrame  # DATASET_COLUMNS
    rules: pd.DataFrame  # RULE_COLUMNS, every rule run
    findings: pd.DataFrame  # FINDING_COLUMNS
    notes: list[str] = field(default_factory=list)
    version: str = ""
    sdtm: str = ""  # the SDTM folder an ADaM folder was checked against
    profile: str = "fda"  # the agency profile (validate/profiles.py)

    def count(self, severity: str) -> int:
        return int((self.findings["severity"] == severity).sum())

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in SEVERITIES}

    def exit_code(self, fail_on: str = "error") -> int:
        """0 when nothing is at or above the threshold, 1 otherwise (fail_on: reject|error|warning|never)."""
        if fail_on not in FAIL_ON:
            raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
        if fail_on == "never":
            return 0
        worst = SEVERITIES[: SEVERITIES.index(fail_on.capitalize()) + 1]
        return int(bool(self.findings["severity"].isin(worst).any()))

    def issue_summary(self) -> pd.DataFrame:
        """One row per rule and dataset with the number of findings and of the records they stand for (a cause
        reported once is one finding of many records), worst severity first."""
        f = self.findings
        if f.empty:
            return pd.DataFrame(columns=[*ISSUE_KEYS, "found", "records"])
        g = (f.groupby(ISSUE_KEYS, sort=False)["count"]
             .agg(found="size", records="sum").reset_index())
        g["records"] = g["records"].astype(int)
        return _by_severity(g, ["severity", "rule", "dataset"])

    def dataset_summary(self) -> pd.DataFrame:
        """The datasets with their number of findings per severity."""
        out = self.datasets.copy()
        for s in SEVERITIES:
            per = self.findings.loc[self.findings["severity"] == s, "dataset"].value_counts()
            out[s] = out["dataset"].map(per).fillna(0).astype(int)
        return out

    def header(self) -> dict[str, str]:
        return {"folder": self.folder, "standard": self.standard, "standard chosen by": self.standard_source,
                "define.xml": self.define or "none", "study metadata": self.metadata,
                **({"SDTM checked against": self.sdtm} if self.sdtm else {}),
                "controlled terminology": self.ct, "validator": f"cdisc-mirocals {self.version}".strip(),
                "profile": self._profile.title, "severities": self._profile.severities}

    @property
    def _profile(self):
        from cdisc_mirocals.validate.profiles import profile
        return profile(self.profile)

    def context(self) -> dict[str, str]:
        """What a sponsor cites of the run (validator, profile, severities, standard, CT, define.xml): the header
        less the folders, which the CSV report repeats on every row."""
        h = self.header()
        return {k: h[k] for k in ("validator", "profile", "severities", "standard", "controlled terminology",
                                  "define.xml")}


def _by_severity(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    key = frame["severity"].map(rank)
    return (frame.assign(_rank=key).sort_values(["_rank", *by[1:]], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))


def sort_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """A deterministic order: severity, rule, dataset, record."""
    if findings.empty:
        return findings
    f = findings.assign(_r=findings["record"].fillna(0))
    return _by_severity(f.sort_values(["rule", "dataset", "_r", "variables", "values"], kind="stable"),
                        ["severity"]).drop(columns="_r")
