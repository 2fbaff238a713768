"""The data conformance summary of a reviewer's guide: every finding the validator left on the submitted
datasets, one row per rule, dataset and variables with the records it stands for, and the sponsor's
explanation of it (the spec's findings explanations) or none. A finding with none is listed as unexplained,
in the guide and by `convert`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from cdisc_mirocals.spec.explanations import Explanation, explain
from cdisc_mirocals.validate.report import SEVERITIES, Report


@dataclass(frozen=True)
class ConformanceRow:
    rule: str
    publisher: str  # the other IDs the rule answers to (FDA business rules, CDISC conformance rules)
    severity: str
    dataset: str
    variables: str
    message: str
    findings: int
    records: int  # the records the findings stand for (a cause reported once counts all of its records)
    explanation: str | None

    @property
    def explained(self) -> bool:
        return self.explanation is not None


def conformance_rows(report: Report, explanations: tuple[Explanation, ...]) -> list[ConformanceRow]:
    """The findings of `report`, worst severity first, each group with its explanation."""
    f = report.findings
    if f.empty:
        return []
    keys = ["severity", "rule", "dataset", "variables", "publisher", "message"]
    groups = f.fillna({"variables": "", "publisher": ""}).groupby(keys, sort=False)["count"].agg(["size", "sum"])
    rows = []
    for (severity, rule, dataset, variables, publisher, message), (found, records) in groups.iterrows():
        names = tuple(v.strip() for v in str(variables).split(",") if v.strip())
        e = explain(explanations, rule, dataset, names)
        rows.append(ConformanceRow(rule, publisher, severity, dataset, variables, message, int(found), int(records),
                                   e.text if e else None))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(rows, key=lambda r: (rank.get(r.severity, len(rank)), r.rule, r.dataset, r.variables))


def conformance_inputs(report: Report) -> list[tuple[str, str]]:
    """What checked the data, as the report states it, for a reviewer to reproduce the run. The checks are
    this package's implementation of Pinnacle 21's rule catalogue, not Pinnacle 21: the guide says so."""
    h = report.header()
    define = PurePosixPath(report.define).name if report.define else "none"
    validator = (f"{h['validator']}, which implements the rules of the Pinnacle 21 catalogue for FDA submissions "
                 f"itself, under their Pinnacle 21 rule IDs. Pinnacle 21 itself was not run.")
    severities = h["severities"].replace("Pinnacle 21's FDA configuration", "As Pinnacle 21's FDA configuration "
                                         "assigns them").replace(
        "the MCnnnn rules, which P21 lacks, this package's own",
        "rules numbered MCnnnn are further checks, which the Pinnacle 21 catalogue lacks")
    return [("Validator", validator), ("Severities", severities),
            ("Standard checked against", f"{_standard(report.standard)}; chosen by: {h['standard chosen by']}"),
            ("Controlled terminology", h["controlled terminology"]), ("Define-XML used", define),
            *([("Notes of the run", note) for note in report.notes if "not validated" not in note])]


def sponsor_rules(rows: list[ConformanceRow]) -> list[tuple[str, str]]:
    """The sponsor's own rules (MCnnnn) that left a finding, each with what it checks, in words."""
    from cdisc_mirocals.validate.rules import load_all

    registry, out = load_all(), []
    for rule in dict.fromkeys(r.rule for r in rows if r.rule.startswith("MC")):
        declared = registry.get(rule)
        text = declared.description or declared.message if declared else ""
        out.append((rule, text or next(r.message for r in rows if r.rule == rule)))
    return out


def _standard(key: str) -> str:
    """sdtmig-3.4 as a reviewer writes it: SDTMIG 3.4."""
    name, _, version = key.partition("-")
    return f"{'ADaMIG' if name == 'adamig' else name.upper()} {version}".strip()


def unexplained_summary(rows: list[ConformanceRow]) -> str | None:
    """One line naming the findings left without an explanation, or None when every one has one."""
    missing = [r for r in rows if not r.explained]
    if not missing:
        return None
    which = ", ".join(f"{r.rule} on {r.dataset}" + (f" ({r.variables})" if r.variables else "") for r in missing)
    return (f"{len(missing)} validation finding{'s remain' if len(missing) != 1 else ' remains'} without an "
            f"explanation for the reviewer's guide: {which}")
