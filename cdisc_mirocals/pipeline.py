"""The main job, stage by stage. The CLI calls these; they own progress display, not printing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cdisc_mirocals.progress import progress
from cdisc_mirocals.raw import RawStudy, read_raw
from cdisc_mirocals.sdtm import SdtmResult, map_sdtm
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.spec import Spec, load_spec
from cdisc_mirocals.submission.atomic import atomic_write
from cdisc_mirocals.submission.xpt import write_xpt
from cdisc_mirocals.validate.run import ConformanceError, validate_datasets

SDTM_DIR = Path("m5/datasets/mirocals/tabulations/sdtm")


def simulate(out: Path, n_subjects: int | None = None, seed: int | None = None,
             spec: Spec | None = None) -> list[Path]:
    spec = spec or load_spec()
    forms = simulate_study(n_subjects, seed, spec, progress=progress)
    return write_forms(forms, out, spec)


@dataclass
class ConvertResult:
    raw_dir: Path
    simulated: bool
    raw: RawStudy
    sdtm: SdtmResult
    sdtm_dir: Path
    reconciliation_path: Path


def write_sdtm(sdtm: SdtmResult, out: Path, spec: Spec) -> tuple[Path, Path]:
    folder = out / SDTM_DIR
    for name, frame in progress(list(sdtm.datasets.items()), "Writing SDTM XPT"):
        write_xpt(frame, folder / f"{name.lower()}.xpt", spec.sdtm[name])
    recon = out / "reconciliation.csv"
    with atomic_write(recon, "w") as fh:
        sdtm.reconciliation.to_csv(fh, index=False, lineterminator="\n")
    return folder, recon


def convert(raw_dir: Path | None, out: Path, spec: Spec | None = None) -> ConvertResult:
    """Raw CRFs to validated SDTM XPT files; with no raw folder, simulate the default study into OUT/raw."""
    spec = spec or load_spec()
    simulated = raw_dir is None
    if simulated:
        raw_dir = out / "raw"
        simulate(raw_dir, spec=spec)
    raw = read_raw(raw_dir, spec, progress=progress)
    sdtm = map_sdtm(raw, spec, progress=progress)
    problems = validate_datasets(sdtm.datasets, spec.sdtm)
    if problems:
        raise ConformanceError(problems)
    folder, recon = write_sdtm(sdtm, out, spec)
    return ConvertResult(raw_dir, simulated, raw, sdtm, folder, recon)


def counts_table(result: ConvertResult) -> pd.DataFrame:
    return result.sdtm.counts()
