"""Clinical study outputs read from ADaM (and SDTM) XPT files on disk: `analyze()`.

Survival (survival.py: KM, log-rank, Cox with the cox.zph test, RMST), the safety summary (safety.py),
Table 1 (baseline.py), disposition (disposition.py) and the CONSORT diagram (consort.py). One
estimator per module; every analysis is a Result (result.py) under a stable key, serialized by one
function; tables.py, figures.py, render.py and report.py only render them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from cdisc_mirocals.analysis.data import (AnalysisError, Dataset, Options, define_decodes, load_param, read_dataset,
                                          sdtm_folder)
from cdisc_mirocals.analysis.result import Result
from cdisc_mirocals.analysis.survival import ParamResults, analyse

__all__ = ["AnalysisError", "AnalysisReport", "Options", "Result", "analyze"]
SDTM_NEEDED = ("DM", "DS", "IE")


@dataclass
class AnalysisReport:
    provenance: dict
    results: list[ParamResults]
    safety: dict[str, Result]
    table1: Result
    disposition: Result
    secondary: dict[str, Result] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def all_results(self) -> list[Result]:
        return [*(x for r in self.results for x in r.results.values()), *self.safety.values(), self.table1,
                self.disposition, *self.secondary.values()]

    def __str__(self) -> str:
        parts = [str(r) for r in self.results]
        safety = [str(r) if not r.done else f"{r.title} [{r.key}]: {r.n} subjects" +
                  (f", {r.events} TEAE records" if r.events is not None else "") for r in self.safety.values()]
        overview = self.safety["overview"]
        if overview.done:
            any_ = overview.summary[(overview.summary["name"] == "any") & (overview.summary["measure"] == "subjects")]
            safety.insert(1, "    any TEAE: " + ", ".join(f"{r['group']} {int(r['n'])}/{int(r['denominator'])} "
                                                          f"({r['pct']:.1f}%)" for _, r in any_.iterrows()))
        parts.append("Safety\n" + "\n".join(f"  {line}" for s in safety for line in s.splitlines()))
        others = []
        for r in (self.table1, self.disposition):
            others.append(f"  {r.title} [{r.key}]: " + (f"skipped: {r.skipped}" if not r.done else f"{r.n} subjects"))
        parts.append("Study population\n" + "\n".join(others))
        if self.secondary:
            parts.append("Secondary efficacy\n" + "\n".join(f"  {line}" for r in self.secondary.values()
                                                           for line in str(r).splitlines()))
        return "\n\n".join(parts)

    def messages(self) -> list[str]:
        """Every note, and every analysis skipped with its reason, for the console."""
        notes = list(self.notes) + [n for r in self.results for n in r.data.notes]
        notes += [n for r in self.all_results() for n in r.notes]
        return list(dict.fromkeys(notes))


def _sdtm(adam_dir: Path, sdtm_dir: Path | None) -> tuple[dict[str, Dataset], list[str]]:
    folder = sdtm_dir or sdtm_folder(adam_dir)
    if folder is None:
        return {}, ["no SDTM folder beside the ADaM folder: screening and treatment-disposition counts are skipped"]
    found = {n: read_dataset(folder, n, required=False, standard="SDTM") for n in SDTM_NEEDED}
    return {n: d for n, d in found.items() if d is not None}, []


def analyze(adam_dir: Path, out: Path, params: list[str], options: Options, at_risk_times: list[float] | None = None,
            sdtm_dir: Path | None = None, title: str | None = None) -> AnalysisReport:
    # imported here: matplotlib and the writers are needed only once there is something to write
    from cdisc_mirocals.analysis.baseline import table1
    from cdisc_mirocals.analysis.disposition import disposition
    from cdisc_mirocals.analysis.output import write_outputs
    from cdisc_mirocals.analysis.provenance import provenance
    from cdisc_mirocals.analysis.safety import safety
    from cdisc_mirocals.analysis.secondary import secondary

    if not options.decodes:
        options = dataclasses.replace(options, decodes=define_decodes(adam_dir))
    adtte = read_dataset(adam_dir, "ADTTE")
    adsl = read_dataset(adam_dir, "ADSL", required=False)
    adae = read_dataset(adam_dir, "ADAE", required=False)
    sdtm, notes = _sdtm(adam_dir, sdtm_dir)
    results = [analyse(load_param(adtte, adsl, p, options), at_risk_times) for p in params]
    if adsl is None:
        notes.append("no adsl.xpt beside ADTTE: Table 1, disposition and the safety summary are skipped")
        skip = "no adsl.xpt in the ADaM folder"
        safe = {k: Result.skip(f"SAFETY/{k}", k, "", skip) for k in ("overview", "soc_pt", "severity", "serious",
                                                                        "exposure")}
        t1 = Result.skip("BASELINE/table1", "Demographics and baseline characteristics", "", skip)
        disp = Result.skip("DISPOSITION/summary", "Subject disposition", "", skip)
    else:
        safe = safety(adsl, adae, options)
        t1, disp = table1(adsl, options), disposition(adsl, sdtm, options)
    for r in [*safe.values(), t1, disp]:
        r.display_oid, r.result_oid = options.arm.get(r.key, (None, None))
    bds = {n: read_dataset(adam_dir, n, required=False) for n in
           dict.fromkeys(p["dataset"] for p in options.longitudinal.get("parameters", ()))}
    second = secondary(bds, adtte, options)
    absent = [f"{n.lower()}.xpt" for n, d in bds.items() if d is None]
    if absent:
        notes.append(f"no {', '.join(absent)} in the ADaM folder: the secondary efficacy analyses of it are not done")
    inputs = [d for d in (adtte, adsl, adae, *bds.values()) if d is not None] + list(sdtm.values())
    report = AnalysisReport(provenance(inputs, options), results, safe, t1, disp, second, [], notes)
    if title is None:
        study = adtte.frame["STUDYID"].iloc[0] if "STUDYID" in adtte.frame.columns and len(adtte.frame) else ""
        title = f"{study} clinical study outputs".strip()
    report.files = write_outputs(report, out, options, at_risk_times, title)
    return report
