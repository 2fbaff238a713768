"""Clinical study outputs read from ADaM (and SDTM) XPT files on disk: `analyze()`.

Survival (survival.py: KM, log-rank, Cox with the cox.zph test, RMST), the safety summary (safety.py),
Table 1 (baseline.py), disposition (disposition.py), the CONSORT diagram (consort.py) and the
exposure summary from ADEX (exposure.py). One
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
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # the secondary analyses by key: ALSFRS-R and SVC decline and CAFS (secondary.py), and those of ADLB and ADVS
    secondary: dict[str, Result] = field(default_factory=dict)
    exposure: Result | None = None  # EXPOSURE/summary, from ADEX (exposure.py)

    def all_results(self) -> list[Result]:
        return [*(x for r in self.results for x in r.results.values()), *self.safety.values(), self.table1,
                self.disposition, *([self.exposure] if self.exposure else []), *self.secondary.values()]

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
            others.append(f"  {r.title} [{r.key}]: " + (f"not done: {r.skipped}" if not r.done else f"{r.n} subjects"))
        parts.append("Study population\n" + "\n".join(others))
        if self.exposure is not None:
            e = self.exposure
            parts.append(f"Exposure\n  {e.title} [{e.key}]: " + (f"{e.n} subjects" if e.done else f"not done: {e.skipped}"))
        if self.secondary:
            parts.append("Secondary endpoints\n" + "\n".join(
                f"  {r.title} [{r.key}]: " + (f"not done: {r.skipped}" if not r.done else f"{r.n} subjects")
                for r in self.secondary.values()))
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


def secondary_analyses(adlb: Dataset | None, advs: Dataset | None, options: Options) -> dict[str, Result]:
    """Regulatory T cells, laboratory shifts and grades (ADLB), and vital signs by visit (ADVS), by key; none
    when the folder holds neither dataset (another study's ADTTE, such as the CDISC pilot's)."""
    if adlb is None and advs is None:
        return {}
    from cdisc_mirocals.analysis.labgrade import lab_grades
    from cdisc_mirocals.analysis.labshift import lab_shift
    from cdisc_mirocals.analysis.treg import treg_ancova
    from cdisc_mirocals.analysis.vitals import vitals_by_visit

    out = dict(treg_ancova(adlb, options))
    for result in (lab_shift(adlb, options), lab_grades(adlb, options), vitals_by_visit(advs, options)):
        out[result.key] = result
    return out


def analyze(adam_dir: Path, out: Path, params: list[str], options: Options, at_risk_times: list[float] | None = None,
            sdtm_dir: Path | None = None, title: str | None = None) -> AnalysisReport:
    # imported here: matplotlib and the writers are needed only once there is something to write
    from cdisc_mirocals.analysis.baseline import table1
    from cdisc_mirocals.analysis.disposition import disposition
    from cdisc_mirocals.analysis.exposure import exposure_summary
    from cdisc_mirocals.analysis.output import write_outputs
    from cdisc_mirocals.analysis.provenance import provenance
    from cdisc_mirocals.analysis.safety import safety
    from cdisc_mirocals.analysis.secondary import secondary as efficacy_analyses

    if not options.decodes:
        options = dataclasses.replace(options, decodes=define_decodes(adam_dir))
    adtte = read_dataset(adam_dir, "ADTTE")
    adsl = read_dataset(adam_dir, "ADSL", required=False)
    adae = read_dataset(adam_dir, "ADAE", required=False)
    adex = read_dataset(adam_dir, "ADEX", required=False)
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
    adlb, advs = read_dataset(adam_dir, "ADLB", required=False), read_dataset(adam_dir, "ADVS", required=False)
    secondary = secondary_analyses(adlb, advs, options)
    exposure = exposure_summary(adex, adsl, options)
    for r in [*safe.values(), t1, disp, exposure, *secondary.values()]:
        r.display_oid, r.result_oid = options.arm.get(r.key, (None, None))
    bds = {n: read_dataset(adam_dir, n, required=False) for n in
           dict.fromkeys(p["dataset"] for p in options.longitudinal.get("parameters", ()))}
    efficacy = efficacy_analyses(bds, adtte, options)
    absent = [f"{n.lower()}.xpt" for n, d in bds.items() if d is None]
    if absent:
        notes.append(f"no {', '.join(absent)} in the ADaM folder: the secondary efficacy analyses of it are not done")
    for r in efficacy.values():
        r.display_oid, r.result_oid = options.arm.get(r.key, (None, None))
    inputs = [d for d in (adtte, adsl, adae, adex, *bds.values(), adlb, advs) if d is not None] + list(sdtm.values())
    report = AnalysisReport(provenance(inputs, options), results, safe, t1, disp, notes=notes,
                            secondary={**efficacy, **secondary}, exposure=exposure)
    if title is None:
        study = adtte.frame["STUDYID"].iloc[0] if "STUDYID" in adtte.frame.columns and len(adtte.frame) else ""
        title = f"{study} clinical study outputs".strip()
    report.files = write_outputs(report, out, options, at_risk_times, title)
    return report
