"""Raw CRFs to SDTMIG 3.4 domains, driven by specs/sdtm, with record-level traceability.

One module per dataset, each exposing `map_<dataset>(ctx) -> DataFrame`. Which datasets exist is
decided by specs/sdtm/datasets.csv; the spine (trial design, DM, SE, SV) is mapped first because
the others need its reference dates, elements and visits.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pandas as pd

from cdisc_mirocals.errors import Problem, ProblemsError, RawDataError
from cdisc_mirocals.raw import RawStudy
from cdisc_mirocals.metadata import Shaped, ShapeLog, shape
from cdisc_mirocals.metadata.steps import ConformanceError
from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.sdtm.longtext import derive_long_text_qualifiers
from cdisc_mirocals.sdtm.reconcile import reconcile
from cdisc_mirocals.spec import Spec

SPINE = ("TE", "TA", "TV", "DM", "SE", "SV")


@dataclass
class SdtmResult:
    shaped: dict[str, Shaped]
    reconciliation: pd.DataFrame
    notes: list[Problem] = field(default_factory=list)

    @property
    def datasets(self) -> dict[str, pd.DataFrame]:
        return {name: s.frame for name, s in self.shaped.items()}

    def counts(self) -> pd.DataFrame:
        """Raw, mapped and excluded records per form."""
        r = self.reconciliation
        return (r.assign(mapped=r["STATUS"] == "mapped", excluded=r["STATUS"] == "excluded")
                .groupby(["FORM", "FILE"], sort=False)
                .agg(raw=("LINE", "size"), mapped=("mapped", "sum"), excluded=("excluded", "sum"))
                .reset_index())


def mapper(dataset: str) -> Callable[[Context], pd.DataFrame]:
    module = importlib.import_module(f"cdisc_mirocals.sdtm.{dataset.lower()}")
    return getattr(module, f"map_{dataset.lower()}")


def mapping_order(spec: Spec) -> list[str]:
    return [*SPINE, *(d for d in spec.sdtm.datasets if d not in SPINE)]


def map_sdtm(raw: RawStudy, spec: Spec, progress: Callable[[Iterable, str], Iterable] | None = None,
             log: ShapeLog | None = None) -> SdtmResult:
    ctx = Context(raw, spec)
    iterate = progress or (lambda items, label: items)
    for name in iterate(mapping_order(spec), "Mapping SDTM"):
        ctx.datasets[name] = mapper(name)(ctx)
    derive_long_text_qualifiers(ctx)
    if ctx.ct_errors:  # a raw value feeding two domains is one problem, reported once
        raise RawDataError(sorted(set(ctx.ct_errors), key=lambda p: (p.file, p.line or 0, p.column or "")))
    reconciliation = reconcile(raw, ctx)
    log = log if log is not None else ShapeLog()
    log.files = {name: form.file for name, form in spec.raw.items()}
    shaped, problems = {}, []
    for name in list(ctx.datasets):
        try:  # the mapped frame is let go once shaped: a large study holds one copy at a time
            shaped[name] = shape(ctx.datasets.pop(name), spec.sdtm[name], log)
        except ProblemsError as exc:  # every dataset's problems at once
            problems += exc.problems
    if problems:
        raise ConformanceError(problems)
    return SdtmResult(shaped, reconciliation, list(dict.fromkeys(ctx.ct_notes)))
