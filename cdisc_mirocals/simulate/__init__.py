"""The MIROCALS raw-CRF simulator: realistic EDC exports calibrated to the published trial."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from cdisc_mirocals.simulate import assessments, events, subject_forms
from cdisc_mirocals.simulate.mess import untidy
from cdisc_mirocals.simulate.subjects import Calibration, simulate_subjects
from cdisc_mirocals.simulated import MARKER, marker_text
from cdisc_mirocals.spec import Spec, load_spec
from cdisc_mirocals.submission.atomic import atomic_write

__all__ = ["simulate_study", "write_forms"]


def simulate_study(n_subjects: int | None = None, seed: int | None = None, spec: Spec | None = None,
                   progress: Callable[[Iterable, str], Iterable] | None = None,
                   forms: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Simulate the raw forms of a study: {form name: DataFrame of text, columns as in specs/raw}.

    `forms` limits the result to some forms (all by default); each form is the same as in a full run.
    """
    spec = spec or load_spec()
    study = spec.study
    cal = Calibration(study)
    n = cal.default_subjects if n_subjects is None else n_subjects
    seed = cal.default_seed if seed is None else seed
    for name, value in (("n_subjects", n), ("seed", seed)):
        if not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be a whole number of at least 0, got {value!r}")
    s = simulate_subjects(n, seed, study, spec.raw)
    v = cache(lambda: assessments.visits(s, seed, study))
    inj = cache(lambda: events.injections(s, seed, study))
    steps = {
        "ENROL": lambda: subject_forms.enrol(s, seed),
        "ELIG": lambda: subject_forms.elig(s),
        "RAND": lambda: subject_forms.rand(s, study),
        "VISIT": lambda: assessments.visit_form(v()),
        "INJ": lambda: events.injection_log(inj(), study),
        "CM": lambda: events.medications(s, seed, study),
        "ALSFRS": lambda: assessments.alsfrs(s, v(), seed, cal),
        "SVC": lambda: assessments.svc(s, v(), seed, cal, spec.raw["SVC"]),
        "VS": lambda: assessments.vs(s, v(), seed, spec.raw["VS"]),
        "LAB": lambda: assessments.lab(s, v(), seed),
        "TREG": lambda: assessments.treg(s, v(), seed, spec.raw["TREG"]),
        "CSF": lambda: assessments.csf(s, v(), seed),
        "AE": lambda: events.adverse_events(s, inj(), seed),
        "MH": lambda: events.medical_history(s, seed),
        "TRACH": lambda: subject_forms.trach(s),
        "DEATH": lambda: subject_forms.death(s, seed),
        "EOS": lambda: subject_forms.eos(s, events.last_dose(inj())),
    }
    names = list(spec.raw)
    missing = set(names) ^ set(steps)
    if missing:
        raise RuntimeError(f"simulator and specs/raw disagree on forms: {sorted(missing)}")
    wanted = names if forms is None else [name for name in names if name in set(forms)]
    iterate = progress or (lambda items, label: items)
    out = {}
    for name in iterate(wanted, "Simulating forms"):
        df = steps[name]()
        out[name] = df[spec.raw[name].columns].reset_index(drop=True).astype(object)
    return untidy(out, seed, cal.mess_share)


def write_forms(forms: dict[str, pd.DataFrame], out: str | Path, spec: Spec | None = None) -> list[Path]:
    """Write one CSV per form, atomically, as an EDC export: UTF-8, comma, quoted only when needed; and the
    marker (`cdisc_mirocals.simulated.MARKER`) that tells `convert` the forms are simulated. Returns the forms."""
    spec = spec or load_spec()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, form in spec.raw.items():
        path = out / form.file
        with atomic_write(path, "w") as fh:
            forms[name].to_csv(fh, index=False, lineterminator="\n")
        written.append(path)
    with atomic_write(out / MARKER, "w") as fh:
        fh.write(marker_text(spec.study.studyid))
    return written


def write_odm_export(forms: dict[str, pd.DataFrame], out: str | Path, spec: Spec | None = None) -> Path:
    """The forms as one CDISC ODM 1.3.2 file (raw/odm.py): `out` itself when it ends in .xml, else
    OUT/<study>.xml."""
    from cdisc_mirocals.raw.odm import write_odm

    spec = spec or load_spec()
    out = Path(out)
    return write_odm(forms, out if out.suffix.lower() == ".xml" else out / f"{spec.study.studyid.lower()}.xml", spec)
