"""The reviewer's guides: csdrg.pdf beside the SDTM datasets and adrg.pdf beside the ADaM datasets, written
after the datasets are validated, from the specification, the datasets and the validation report. Every
finding the validator leaves is printed with the sponsor's explanation (the spec's findings explanations);
one without is listed as unexplained, and `write_guides` returns those for `convert` to report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdisc_mirocals.simulated import notice as simulated_notice
from cdisc_mirocals.spec import Spec
from cdisc_mirocals.submission.guides.conformance import ConformanceRow, conformance_rows, unexplained_summary
from cdisc_mirocals.validate.report import Report

# the guide of each standard: its file, beside the datasets, which define.xml links as a supplemental document
GUIDES = {"SDTM": "csdrg.pdf", "ADaM": "adrg.pdf"}


@dataclass
class Guides:
    files: list[Path]
    rows: dict[str, list[ConformanceRow]]  # by standard

    @property
    def unexplained(self) -> list[ConformanceRow]:
        return [r for rows in self.rows.values() for r in rows if not r.explained]

    def summary(self) -> str | None:
        """The line `convert` prints when findings remain without an explanation."""
        return unexplained_summary(self.unexplained)


def write_guides(folders: dict[str, Path], reports: dict[str, Report], spec: Spec, *,
                 simulated: bool = False) -> Guides:
    """csdrg.pdf into folders["SDTM"] and adrg.pdf into folders["ADaM"], from reports["SDTM"] and
    reports["ADaM"] (the validation of each folder)."""
    from cdisc_mirocals.submission.guides.adrg import build_adrg
    from cdisc_mirocals.submission.guides.csdrg import build_csdrg
    from cdisc_mirocals.submission.timestamp import build_time

    notice = simulated_notice(spec.study.studyid) if simulated else None
    date = build_time().strftime("%d %B %Y").lstrip("0")
    files, rows = [], {}
    for standard, folder in folders.items():
        report = reports[standard]
        rows[standard] = conformance_rows(report, spec.explanations)
        if standard == "SDTM":
            doc = build_csdrg(spec, report, rows[standard], notice=notice, date=date,
                              documents=_documents(spec, standard), ts=_dataset(folder, "ts"))
        else:
            doc = build_adrg(spec, report, rows[standard], notice=notice, date=date, adsl=_dataset(folder, "adsl"))
        files.append(doc.write(Path(folder) / GUIDES[standard]))
    return Guides(files, rows)


def _documents(spec: Spec, standard: str) -> dict[str, str]:
    """The documents define.xml links, other than this guide: {file: title}."""
    std = spec.sdtm if standard == "SDTM" else spec.adam
    return {d.href: d.title for d in std.documents.values() if d.href != GUIDES[standard]}


def _dataset(folder: Path, name: str):
    """The dataset `name` as submitted in `folder` (XPT or Dataset-JSON), None when it is not there."""
    from cdisc_mirocals.validate.readers import read_dataset

    for file in (f"{name}.xpt", f"{name}.json"):
        if (Path(folder) / file).is_file():
            return read_dataset(Path(folder) / file).frame
    return None
