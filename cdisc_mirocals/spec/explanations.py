"""The sponsor's explanations of validation findings that remain in the submitted data
(specs/review/findings_explanations.csv), which the reviewer's guides print beside each finding.

A row is keyed by Rule, Dataset and Variable; a blank key matches any. A finding takes the explanation of
the most specific row that matches it (rule before dataset before variable), so a general explanation of a
rule can stand beside a particular one for one dataset. A row with no rule explains any finding on its
dataset and variable, whichever engine raises it: what a reviewer would query in the data without a rule
saying so (deaths without a fatal adverse event, say) is written once and printed in the guide's dataset
section too. The text is for a reviewer: the loader refuses a repository path, a spec file name or an
internal identifier in it, since it is printed as written."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.spec.sheets import Sheet

TABLE = "review/findings_explanations.csv"
COLUMNS = ["Rule", "Dataset", "Variable", "Explanation"]
_NAME = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
_RULE = re.compile(r"^[A-Za-z]{2,5}\d{2,5}[A-Za-z]?$")
# what a reviewer must not meet: a file of this repository, a spec sheet, a TOML section, an internal OID
DEVELOPER_TEXT = re.compile(
    r"\b(?:MT|COM|CL|IT|VL|WC|LF|RD|AR|IG|STD|MDV|STDY)\.[A-Z0-9]|study\.toml|\.(?:csv|py|md|toml)\b"
    r"|\b(?:specs|docs|tests|tools)/|cdisc_mirocals|\[[a-z_]+(?:\.[a-z_]+)*\]")


@dataclass(frozen=True)
class Explanation:
    rule: str  # "" matches any rule
    dataset: str  # "" matches any dataset
    variable: str  # "" matches any variable
    text: str

    def matches(self, rule: str, dataset: str, variables: tuple[str, ...]) -> bool:
        return ((not self.rule or self.rule == rule) and (not self.dataset or self.dataset == dataset)
                and (not self.variable or self.variable in variables))

    @property
    def specificity(self) -> tuple[bool, bool, bool]:
        return bool(self.rule), bool(self.dataset), bool(self.variable)


def explain(explanations: tuple[Explanation, ...], rule: str, dataset: str,
            variables: tuple[str, ...] = ()) -> Explanation | None:
    """The most specific explanation of a finding of `rule` on `dataset` (its variables), or None."""
    found = [e for e in explanations if e.matches(rule, dataset, variables)]
    return max(found, key=lambda e: e.specificity) if found else None


def load_explanations(source, problems: list[Problem], study: dict) -> tuple[Explanation, ...]:
    if not source.has(TABLE):
        return ()
    s = Sheet(source.table(TABLE), COLUMNS, problems, study)
    out, seen = [], {}
    for line, row in s.rows():
        rule, dataset, variable = row["Rule"], row["Dataset"], row["Variable"]
        if rule and not _RULE.match(rule):
            s.fail(line, "Rule", rule, "a rule ID such as SD1339, CT2002 or MC0108, or blank for any rule")
            continue
        bad = [(c, v) for c, v in (("Dataset", dataset), ("Variable", variable)) if v and not _NAME.match(v)]
        for column, value in bad:
            s.fail(line, column, value, f"a {column.lower()} name (upper case, up to 8 characters), or blank for any")
        text = s.get(line, row, "Explanation", required=True)
        if text and DEVELOPER_TEXT.search(text):
            s.fail(line, "Explanation", DEVELOPER_TEXT.search(text).group(0),
                   "text for a reviewer: no repository path, spec file name or internal identifier")
            continue
        if bad or not text:
            continue
        if not (rule or dataset):
            s.fail(line, "Rule", "", "a rule or a dataset: an explanation of every finding explains none")
            continue
        key = (rule, dataset, variable)
        if key in seen:
            s.fail(line, "Rule", rule, f"one explanation per rule, dataset and variable; line {seen[key]} has these")
            continue
        seen[key] = line
        out.append(Explanation(rule, dataset, variable, text))
    return tuple(out)
