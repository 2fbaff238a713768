"""The rule registry. A rule has an ID (the Pinnacle 21 ID it mirrors; MCnnnn for the checks P21 has
no ID for), a severity, P21's message and the FDA/CDISC publisher IDs of P21's catalogue, and a check:
a function of the Study that yields Hits. Rules whose check is a pandera schema (codelists, required
values, ISO 8601 formats, study metadata) are declared here too, with check=None; the schema layer
runs them.

Severities are ours: the catalogue leaves them empty except for Rejects, since they depend on the
P21 configuration. They follow what Pinnacle 21's FDA configuration reports (docs/validation.md).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Callable, Iterable, Sequence

import numpy as np

from cdisc_mirocals.validate.report import SEVERITIES

FAMILIES = ("presence", "identity", "terminology", "dates", "design", "consistency", "plausibility", "adam", "transport",
            "define")


@dataclass(frozen=True)
class Hit:
    """Records of one dataset that break a rule. rows are positional indices (None: the whole dataset);
    values and detail are one text, or one per row."""

    dataset: str
    rows: np.ndarray | None
    variables: Sequence[str]
    values: object = None  # None: read the variables' values from the dataset
    detail: object = ""


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    family: str
    standards: tuple[str, ...]
    message: str
    description: str
    category: str
    publisher: tuple[str, ...]
    p21: bool
    check: Callable | None = None

    def run(self, study) -> Iterable[Hit]:
        return self.check(study) if self.check else ()

    @property
    def p21_id(self) -> str:
        """The Pinnacle 21 ID a finding answers to ("" for an MCnnnn rule, which P21 lacks)."""
        return self.id if self.p21 else ""

    @property
    def fda(self) -> tuple[str, ...]:
        """The FDA's IDs of the rule: business rules (FDABnnn), validator rules (FDACnnn), Technical
        Conformance Guide sections (TCG n.n.n), eCTD specifications."""
        return tuple(p for p in self.publisher if publisher_kind(p) == "FDA")

    @property
    def cdisc(self) -> tuple[str, ...]:
        """CDISC's IDs: SDTMIG conformance rules (CGnnnn), ADaM validation checks (ADaM n)."""
        return tuple(p for p in self.publisher if publisher_kind(p) == "CDISC")


PUBLISHERS = {"FDA": ("FDAB", "FDAC", "TCG", "eCTD"), "CDISC": ("CG", "ADaM")}


def publisher_kind(publisher_id: str) -> str:
    """FDA or CDISC: who publishes a rule ID of P21's Publisher ID column."""
    for kind, prefixes in PUBLISHERS.items():
        if publisher_id.startswith(prefixes):
            return kind
    raise ValueError(f"publisher ID {publisher_id!r} is neither the FDA's nor CDISC's")


REGISTRY: dict[str, Rule] = {}


@lru_cache(maxsize=1)
def catalogue() -> dict:
    """Pinnacle 21's rule catalogue (vendored by tools/build_standards.py)."""
    return json.loads(resources.files("cdisc_mirocals.validate").joinpath("standards", "p21-rules.json").read_text())


def declare(id: str, severity: str, family: str, standards: Sequence[str] = ("SDTM",), *, message: str = "",
            description: str = "", category: str = "", publisher: Sequence[str] = (),
            check: Callable | None = None) -> Rule:
    if severity not in SEVERITIES or family not in FAMILIES:
        raise ValueError(f"rule {id}: severity {severity!r} / family {family!r}")
    if id in REGISTRY:
        raise ValueError(f"rule {id} is declared twice")
    entry = catalogue().get(id)
    if entry is None and not id.startswith("MC"):
        raise ValueError(f"rule {id} is not in Pinnacle 21's catalogue; give it an MC ID")
    entry = entry or {}
    for publisher_id in [*entry.get("publisher", ()), *publisher]:
        publisher_kind(publisher_id)  # an ID of neither the FDA nor CDISC is a mistake of the rule's declaration
    REGISTRY[id] = Rule(id, severity, family, tuple(standards), message or entry.get("message", ""),
                        description or entry.get("description", ""), category or entry.get("category", ""),
                        tuple(dict.fromkeys([*entry.get("publisher", ()), *publisher])), bool(entry), check)
    return REGISTRY[id]


def rule(id: str, severity: str, family: str, standards: Sequence[str] = ("SDTM",), **kw):
    """Register the decorated function as the check of rule `id`."""
    def wrap(fn: Callable) -> Callable:
        declare(id, severity, family, standards, check=fn, **kw)
        return fn
    return wrap


def rows(mask) -> np.ndarray:
    """Positional indices of the True entries of a boolean mask."""
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def stacked(parts, columns: Sequence[str]):
    """The `columns` of the datasets of one domain (a split domain's files) as one frame, for a rule that
    holds per domain; `back(mask)` gives each part's rows where mask (aligned on the stack) is True."""
    import pandas as pd

    frame = pd.concat([p.frame[list(columns)] for p in parts], ignore_index=True) if len(parts) > 1 \
        else parts[0].frame[list(columns)]
    bounds = np.cumsum([0] + [len(p.frame) for p in parts])

    def back(mask):
        where = np.flatnonzero(np.asarray(mask, dtype=bool))
        for i, p in enumerate(parts):
            mine = where[(where >= bounds[i]) & (where < bounds[i + 1])] - bounds[i]
            if len(mine):
                yield p, mine
    return frame, back


_MODULES = ("schema", "presence", "identity", "terminology", "dates", "studydays", "pairs", "design", "trial_summary", "consistency",
            "plausibility", "adam", "adam_bds", "transport", "define")


def load_all() -> dict[str, Rule]:
    for module in _MODULES:
        importlib.import_module(f"cdisc_mirocals.validate.rules.{module}")
    return REGISTRY


def for_family(standard_family: str) -> list[Rule]:
    return [r for r in load_all().values() if standard_family in r.standards]
