"""ADaM variable labels against the ADaMIG of the checked version (AD0018), and analysis windows whose unit is
given without both bounds (AD0161): the two findings Pinnacle 21 raises most on the CDISC pilot's ADaM."""

from __future__ import annotations

import re

from cdisc_mirocals.validate.model import ModelVariable
from cdisc_mirocals.validate.rules import Hit, rows, rule

ADAM = ("ADaM",)
_HOLDER = re.compile(r"xx|zz|y|w")


def expected_label(variable: ModelVariable, name: str) -> str:
    """The IG's label for `name`: an indexed variable's placeholders (TRTxxP, "Planned Treatment for Period xx")
    filled with the digits the name has (TRT01P, "Planned Treatment for Period 01")."""
    if not variable.is_pattern:
        return variable.label
    holders = _HOLDER.findall(variable.name)  # the name is upper case but for its placeholders
    regex = "^" + _HOLDER.sub(lambda m: r"(\d\d)" if m.group(0) in ("xx", "zz") else r"([1-9]\d*)",
                              variable.name) + "$"
    found = re.match(regex, name)
    label = variable.label
    if found:
        for holder, digits in zip(holders, found.groups()):
            label = re.sub(rf"\b{holder}\b", digits, label, count=1)
    return label


@rule("AD0018", "Error", "adam", ADAM)
def label_of_the_standard(study):
    """A variable the ADaMIG defines keeps its label (P21: "when creating a new domain Variable Labels could be
    adjusted", which ADaM, unlike SDTM, does not do). Labels are compared as written, spaces at the ends aside."""
    for d in study.datasets.values():
        if d.model is None:
            continue
        for name, column in d.file.columns.items():
            variable = d.model.find(name)
            if variable is None or not variable.label:
                continue
            want = expected_label(variable, name)
            if column.label.strip() != want.strip():
                yield Hit(d.name, None, (name,), values=f"{name}, {column.label}", detail=f"expected {want}")


@rule("AD0161", "Error", "adam", ADAM)
def window_unit_without_bounds(study):
    for d in study.datasets.values():
        if not d.has("AWU", "AWLO", "AWHI"):
            continue
        bad = d.present("AWU") & ~(d.present("AWLO") & d.present("AWHI"))
        if bad.any():
            yield Hit(d.name, rows(bad), ("AWU", "AWLO", "AWHI"))
