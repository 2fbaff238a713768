"""Survival endpoints straight from ADTTE (and ADSL) XPT files: `analyze()`.

One estimator per module (km, logrank, cox, rmst); survival.py builds the results of a PARAMCD once,
and tables.py and figures.py render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdisc_mirocals.analysis.data import AnalysisError, Options, load_param, read_dataset
from cdisc_mirocals.analysis.figures import forest_figure, km_figure
from cdisc_mirocals.analysis.survival import ParamResults, analyse
from cdisc_mirocals.analysis.tables import write_json, write_tables

__all__ = ["AnalysisError", "AnalysisReport", "Options", "analyze"]


@dataclass
class AnalysisReport:
    results: list[ParamResults]
    files: list[Path]

    def __str__(self) -> str:
        return "\n\n".join(str(r) for r in self.results)


def analyze(adam_dir: Path, out: Path, params: list[str], options: Options,
            at_risk_times: list[float] | None = None) -> AnalysisReport:
    adtte = read_dataset(adam_dir, "ADTTE")
    adsl = read_dataset(adam_dir, "ADSL") if (Path(adam_dir) / "adsl.xpt").exists() else None
    results = [analyse(load_param(adtte, adsl, p, options), at_risk_times) for p in params]
    out.mkdir(parents=True, exist_ok=True)
    files = [write_json(results, out / "results.json"), *write_tables(results, out)]
    for r in results:
        files += km_figure(r, out / f"km_{r.data.paramcd.lower()}", at_risk_times)
    files += forest_figure(results, out / "forest")
    return AnalysisReport(results, files)
