"""The CDISC ADaM Controlled Terminology release the study cites (specs/study.toml [standards] adam_ct), read
from the NCI EVS CSV beside the project: nobody here wrote it."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import REFERENCE


def adam_ct_path(release: str) -> Path:
    return REFERENCE / "controlled-terminology" / f"ADaM_CT_{release}.csv"


def adam_ct(release: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Codelist NCI code -> (codelist name, {submission value: term NCI code})."""
    names: dict[str, str] = {}
    terms: dict[str, dict[str, str]] = {}
    with adam_ct_path(release).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["Codelist Code"]:
                terms.setdefault(row["Codelist Code"], {})[row["CDISC Submission Value"]] = row["Code"]
            else:
                names[row["Code"]] = row["Codelist Name"]
    return {code: (name, terms.get(code, {})) for code, name in names.items()}
