"""The main job, stage by stage. The CLI calls these; they own progress display, not printing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdisc_mirocals.progress import progress
from cdisc_mirocals.raw import RawStudy, read_raw
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.spec import Spec, load_spec


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


def convert(raw_dir: Path | None, out: Path, spec: Spec | None = None) -> ConvertResult:
    """Raw CRFs to checked, typed forms; with no raw folder, simulate the default study into OUT/raw."""
    spec = spec or load_spec()
    simulated = raw_dir is None
    if simulated:
        raw_dir = out / "raw"
        simulate(raw_dir, spec=spec)
    raw = read_raw(raw_dir, spec, progress=progress)
    return ConvertResult(raw_dir, simulated, raw)
