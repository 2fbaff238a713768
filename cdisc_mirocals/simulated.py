"""Simulated data say so. `simulate` leaves a marker file beside the raw forms it writes; `convert` reads
it, and everything it makes for a reviewer from that folder says SIMULATED_NOTICE: define.xml's study
description, and (through define.xml, which the analyses read beside the ADaM datasets) results.json's
provenance. Raw forms from a real study carry no marker, and their outputs no such words.

Shared by the simulator, the submission writers and the analyses, so it lives below all three."""

from __future__ import annotations

import re
from pathlib import Path

MARKER = "SIMULATED.txt"
_NOTICE = "SIMULATED DATA: not the results of the {studyid} trial"
_FOUND = re.compile(r"SIMULATED DATA: not the results of the \S+ trial")


def notice(studyid: str) -> str:
    """The words every reviewer-facing output of simulated data carries."""
    return _NOTICE.format(studyid=studyid)


def marker_text(studyid: str) -> str:
    return (f"{notice(studyid)}.\n\nThe CSV files of this folder were written by `cdisc-mirocals simulate`, "
            f"a simulator calibrated to the published {studyid} results; they hold no patient's data.\n"
            f"`cdisc-mirocals convert` reads this file and marks every output it makes from this folder as "
            f"simulated. Delete it only if the folder no longer holds simulated forms.\n")


def is_simulated(raw: Path) -> bool:
    """Whether raw forms were written by the simulator: a folder holds the marker; an ODM export says so at the
    start of its study description (read with DTDs, entities and the network off, and only up to it)."""
    raw = Path(raw)
    if raw.is_dir():
        return (raw / MARKER).is_file()
    from lxml import etree

    try:
        for _, element in etree.iterparse(str(raw), events=("end",), resolve_entities=False, no_network=True,
                                          load_dtd=False, huge_tree=False,
                                          tag="{http://www.cdisc.org/ns/odm/v1.3}StudyDescription"):
            return _FOUND.match((element.text or "").strip()) is not None
    except (OSError, etree.XMLSyntaxError):
        return False
    return False


def notice_in_define(folder: Path) -> str | None:
    """The simulated-data notice of the define.xml in `folder` (its study description), None when there is
    no define.xml or it does not say so. Read with the safe parser: no DTD, no entity, no network."""
    path = Path(folder) / "define.xml"
    if not path.is_file():
        return None
    from cdisc_mirocals.submission.define.safe_xml import NS, parse_define
    from cdisc_mirocals.errors import MirocalsError
    try:
        root = parse_define(path.read_bytes()).getroot()
    except MirocalsError:
        return None
    description = root.findtext("odm:Study/odm:GlobalVariables/odm:StudyDescription", namespaces=NS) or ""
    found = _FOUND.match(description.strip())
    return found.group(0) if found else None
