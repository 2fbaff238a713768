"""The validator on what `convert` wrote: each standard's folder validated as `cdisc-mirocals validate`
would validate it (its define.xml beside it, the study's specs, an ADaM folder against the SDTM folder),
the reports written in HTML, JSON and XLSX, and the verdict against a --fail-on threshold.

Paths in the reports are relative to the output folder, so that they hold wherever the output is
published and the same inputs give byte-identical reports."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

from cdisc_mirocals.spec import Spec
from cdisc_mirocals.validate.engine import validate_folder
from cdisc_mirocals.validate.readers import read_folder
from cdisc_mirocals.validate.report import FAIL_ON, SEVERITIES, Report
from cdisc_mirocals.validate.writers import write_reports

REPORT_FORMATS = ("html", "json", "xlsx")


@dataclass
class OutputValidation:
    reports: dict[str, Report]  # by name: "sdtm", "adam"
    fail_on: str
    files: list[Path]  # the reports written, relative to the output folder

    @property
    def blocked(self) -> bool:
        """A finding at or above the threshold: the output must not be published."""
        return any(r.exit_code(self.fail_on) for r in self.reports.values())

    def summary(self) -> list[str]:
        return [f"{name.upper() if name == 'sdtm' else 'ADaM'}: "
                + ", ".join(f"{r.count(s):,} {s}" for s in SEVERITIES) for name, r in self.reports.items()]

    def worst(self) -> list[str]:
        """The rule/dataset lines at or above the threshold, worst first: what stopped the publish."""
        levels = SEVERITIES[: SEVERITIES.index(self.fail_on.capitalize()) + 1] if self.fail_on != "never" else ()
        lines = []
        for name, r in self.reports.items():
            issues = r.issue_summary()
            for row in issues[issues["severity"].isin(levels)].itertuples(index=False):
                lines.append(f"{row.severity} {row.rule} {row.dataset} ({row.found:,}): {row.message}")
        return lines


def _relative(report: Report, root: Path) -> Report:
    def rel(path: str) -> str:
        return Path(path).relative_to(root).as_posix() if path and Path(path).is_relative_to(root) else path
    return dataclasses.replace(report, folder=rel(report.folder), define=rel(report.define), sdtm=rel(report.sdtm))


def validate_output(root: Path, folders: dict[str, Path], spec: Spec, fail_on: str = "error",
                    report_dir: Path = Path("validation"), profile: str = "fda") -> OutputValidation:
    """Validate root/folder for each {name: folder} ("sdtm" first: an "adam" folder is checked against it)
    under an agency profile and write root/report_dir/<name>.html, .json and .xlsx."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    root = Path(root)
    reports, files = {}, []
    read = functools.cache(lambda folder: read_folder(folder))  # the SDTM folder once, for the ADaM's checks too
    for name, folder in folders.items():
        sdtm = root / folders["sdtm"] if name != "sdtm" and "sdtm" in folders else None
        report = _relative(validate_folder(root / folder, specs=spec, sdtm=sdtm, read=read, profile=profile), root)
        written = write_reports(report, root / report_dir, REPORT_FORMATS, stem=name)
        files += [p.relative_to(root) for p in written]
        reports[name] = report
    return OutputValidation(reports, fail_on, files)
