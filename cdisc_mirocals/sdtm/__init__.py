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

from cdisc_mirocals.errors import Problem, RawDataError
from cdisc_mirocals.raw import RawStudy
from cdisc_mirocals.metadata import conform
from cdisc_mirocals.sdtm.context import Context
from cdisc_mirocals.sdtm.reconcile import reconcile
from cdisc_mirocals.spec import Spec

SPINE = ("TE", "TA", "TV", "DM", "SE", "SV")


@dataclass
class SdtmResult:
    datasets: dict[str, pd.DataFrame]
    reconciliation: pd.DataFrame
    notes: list[Problem] = field(default_factory=list)

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


def map_sdtm(raw: RawStudy, spec: Spec,
             progress: Callable[[Iterable, str], Iterable] | None = None) -> SdtmResult:
    ctx = Context(raw, spec)
    iterate = progress or (lambda items, label: items)
    for name in iterate(mapping_order(spec), "Mapping SDTM"):
        ctx.datasets[name] = mapper(name)(ctx)
    if ctx.ct_errors:  # a raw value feeding two domains is one problem, reported once
        raise RawDataError(sorted(set(ctx.ct_errors), key=lambda p: (p.file, p.line or 0, p.column or "")))
    reconciliation = reconcile(raw, ctx)
    datasets = {name: conform(frame, spec.sdtm[name]) for name, frame in ctx.datasets.items()}
    return SdtmResult(datasets, reconciliation, list(dict.fromkeys(ctx.ct_notes)))
