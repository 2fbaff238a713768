"""Write one standard's shaped datasets in the chosen formats, `<name>.xpt` and `<name>.json` side by
side as the eCTD layout expects, then their define.xml and define.html. A dataset with no records
is not submitted (FDA TCG), and the log says so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisc_mirocals.metadata import Shaped, ShapeLog, shape
from cdisc_mirocals.spec import Spec
from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.submission.define import (DefineError, build_define, render_define_html, stylesheet_path,
                                              validate_define)
from cdisc_mirocals.submission.define import oids
from cdisc_mirocals.submission.define.build import metadata_version_oid
from cdisc_mirocals.submission.timestamp import iso_stamp
from cdisc_mirocals.submission.datasetjson import read_dataset_json, write_dataset_json
from cdisc_mirocals.submission.xport_reader import read_xpt_file
from cdisc_mirocals.submission.xpt import write_xpt

FORMATS = ("xpt", "json")


def write_datasets(shaped: dict[str, Shaped], folder: Path, spec: Spec, standard: str,
                   formats: tuple[str, ...] = FORMATS, log: ShapeLog | None = None) -> dict[str, Shaped]:
    """The datasets written, by name."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, s in shaped.items():
        if s.frame.empty:
            if log is not None:
                log.add(name, "no records: not submitted")
            continue
        if "xpt" in formats:
            write_xpt(s, folder / f"{name.lower()}.xpt")
        if "json" in formats:
            write_dataset_json(s, folder / f"{name.lower()}.json", study_oid=oids.study(spec.study.studyid),
                               metadata_version_oid=metadata_version_oid(spec, standard), created=iso_stamp(),
                               originator=spec.study["study"]["sponsor"],
                               source_system={"name": "cdisc-mirocals", "version": _version()})
        written[name] = s
    return written


def write_define(written: dict[str, Shaped], folder: Path, spec: Spec, standard: str,
                 formats: tuple[str, ...] = FORMATS, *, simulated: bool = False,
                 crf_pages: dict[str, str] | None = None) -> Path:
    """define.xml of the datasets written, checked against the Define-XML 2.1 (+ ARM 1.0) schema before
    it is written; define.html rendered from it; the CDISC stylesheet beside both, since define.xml
    names it, so that a browser shows define.xml itself too."""
    return _write_define({name: s.frame for name, s in written.items()}, folder, spec, standard, formats,
                         simulated=simulated, crf_pages=crf_pages)


def rewrite_define(folder: Path, spec: Spec, standard: str, names, formats: tuple[str, ...] = FORMATS, *,
                   simulated: bool = False, display_pages: dict[str, str] | None = None) -> Path:
    """define.xml (and define.html) again, once the analysis displays PDF is laid out, citing the pages of
    each display. The datasets are read back from the files written into `folder` (XPT, or Dataset-JSON when
    no XPT was written), so that the frames need not be held through validation and analysis."""
    frames = {}
    for name in names:
        path = folder / f"{name.lower()}.xpt"
        if path.is_file():
            frames[name] = read_xpt_file(path).frame
        else:
            frames[name] = read_dataset_json(path.with_suffix(".json"))[0]
    return _write_define(frames, folder, spec, standard, formats, simulated=simulated, display_pages=display_pages)


def _write_define(frames: dict[str, pd.DataFrame], folder: Path, spec: Spec, standard: str,
                  formats: tuple[str, ...], *, simulated: bool, crf_pages: dict[str, str] | None = None,
                  display_pages: dict[str, str] | None = None) -> Path:
    arm = standard == "ADaM"
    xml = build_define(spec, standard, frames, extension="xpt" if "xpt" in formats else "json", simulated=simulated,
                       crf_pages=crf_pages, display_pages=display_pages)
    errors = validate_define(xml, arm)
    if errors:
        raise DefineError(f"the {standard} define.xml does not validate against the Define-XML 2.1 schema:\n  "
                          + "\n  ".join(errors[:20]))
    _check_leaves_stay_in_m5(std_documents(spec, standard), folder, standard)
    for name, data in (("define.xml", xml), ("define.html", render_define_html(xml)),
                       (stylesheet_path().name, stylesheet_path().read_bytes())):
        with atomic_write(folder / name, "wb") as fh:
            fh.write(data)
    return folder / "define.xml"


def write_acrf(spec: Spec, folder: Path, *, simulated: bool = False, log: ShapeLog | None = None) -> dict[str, str]:
    """acrf.pdf into the SDTM folder; returns the pages define.xml cites for each Collected origin (none when the
    SDTM specification lists no annotated CRF among its documents, which the log then says)."""
    from cdisc_mirocals.simulated import notice
    from cdisc_mirocals.submission.acrf import build_acrf, crf_pages
    from cdisc_mirocals.submission.define.build import crf_document

    acrf = build_acrf(spec, notice=notice(spec.study.studyid) if simulated else None)
    acrf.write(folder)
    if crf_document(spec.sdtm) is None:
        if log is not None:
            log.add("define.xml", "the SDTM documents.csv lists no acrf.pdf: collected origins cite no aCRF page")
        return {}
    return crf_pages(acrf.placed, spec.sdtm)


def std_documents(spec: Spec, standard: str) -> dict[str, str]:
    std = spec.sdtm if standard == "SDTM" else spec.adam
    return {doc.id: doc.href for doc in std.documents.values()}


def _check_leaves_stay_in_m5(hrefs: dict[str, str], folder: Path, standard: str) -> None:
    """A document define.xml links to must be inside the eCTD m5 tree the define.xml is part of: a link
    that leaves it is broken in the package a reviewer receives. Checked when the folder is in an m5 tree."""
    folder = folder.resolve()
    m5 = next((p for p in (folder, *folder.parents) if p.name == "m5"), None)
    if m5 is None:
        return
    outside = [f"{oid} ({href})" for oid, href in hrefs.items()
               if "://" in href or not (folder / href).resolve().is_relative_to(m5)]
    if outside:
        raise DefineError(f"the {standard} documents.csv links define.xml to files outside the submission's m5 "
                          f"folder, which a reviewer does not receive: {', '.join(outside)}")


def write_frames(frames: dict[str, pd.DataFrame], folder: Path, spec: Spec, standard: str,
                 formats: tuple[str, ...] = ("xpt",)) -> dict[str, Shaped]:
    """Shape conformed frames to their spec and write them: for tests and tools that hold frames."""
    std = spec.sdtm if standard == "SDTM" else spec.adam
    return write_datasets({name: shape(frame, std[name]) for name, frame in frames.items()}, folder, spec,
                          standard, formats)


def _version() -> str:
    from cdisc_mirocals import __version__
    return __version__
