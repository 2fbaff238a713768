import hashlib
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.raw.dates import raw_to_iso
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.spec import load_spec
from faults.once import once

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
SOURCE_DATE_EPOCH = "1767270896"  # 2026-01-01T12:34:56Z, the build time of the
# session's converted study, later than every dictionary and CT version the study cites
# Every test runs as a reproducible build does, its subprocesses and xdist workers included: the submission
# files then carry this time rather than the run's (tests of a run without it delete it with monkeypatch).
os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH


@pytest.fixture(scope="session")
def spec():
    return load_spec()


@pytest.fixture(scope="session")
def default_forms(spec):
    return simulate_study(spec=spec)


@pytest.fixture(scope="session")
def default_raw_dir(tmp_path_factory, spec, default_forms):
    """One folder for the whole session, shared by the xdist workers (see `converted`)."""
    def build(folder: Path) -> dict:
        write_forms(default_forms, folder / "raw", spec)
        return {}
    folder, _ = once(tmp_path_factory, "default_raw", build)
    return folder / "raw"


@pytest.fixture(scope="session")
def corpus_clean(tmp_path_factory, spec):
    """The clean study every fault of the corpus (tests/faults) is a copy of."""
    from faults.corpus import write_clean
    return write_clean(tmp_path_factory.mktemp("corpus") / "clean", spec)


def sha256_of_folder(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.csv"))}


def survival_frame(forms: dict[str, pd.DataFrame], window: int = 640) -> pd.DataFrame:
    """Days from randomisation to death or last known alive, computed from the raw text forms alone."""
    def day(form, col):
        return pd.to_datetime(raw_to_iso(forms[form].set_index("SUBJID")[col], partial=False))

    rand = forms["RAND"].set_index("SUBJID")
    start = day("RAND", "RANDDAT")
    death = day("DEATH", "DTHDAT").reindex(rand.index)
    alive = day("EOS", "LSTALVDT").reindex(rand.index)
    pnfh = pd.to_numeric(forms["CSF"].set_index("SUBJID")["PNFH"], errors="coerce").reindex(rand.index)
    days_to_death = (death - start).dt.days + 1
    time = days_to_death.fillna((alive - start).dt.days + 1)
    return pd.DataFrame({
        "time": np.minimum(time, window),
        "event": (days_to_death <= window).astype(int),
        "il2": (rand["RANDTRT"].str.strip().str.casefold() == "aldesleukin 2 miu").astype(int),
        "pnfh": pnfh,
        "country": rand["STRCNTRY"], "onset": rand["STRONSET"],
    })


@pytest.fixture(scope="session")
def raw_study(converted):
    """The default study's typed raw forms: what convert read (read_raw, no transliteration)."""
    return converted.raw


@pytest.fixture(scope="session")
def spine(raw_study, spec):
    """A Context with the spine (TE, TA, TV, DM, SE, SV) mapped, for testing one domain at a time."""
    from cdisc_mirocals.sdtm import SPINE, mapper
    from cdisc_mirocals.sdtm.context import Context
    ctx = Context(raw_study, spec)
    for name in SPINE:
        ctx.datasets[name] = mapper(name)(ctx)
    return ctx


def map_one(spine, name: str):
    """Map one more domain on a copy of the spine; returns (context, conformed frame, raw mapped frame)."""
    from cdisc_mirocals.sdtm import mapper
    from cdisc_mirocals.metadata import conform
    from cdisc_mirocals.sdtm.context import Context
    ctx = Context(spine.raw, spine.spec, dict(spine.datasets))
    frame = mapper(name)(ctx)
    ctx.datasets[name] = frame
    return ctx, conform(frame, spine.spec.sdtm[name]), frame


def assert_passes_schema(frame, spec, name: str):
    from cdisc_mirocals.validate.schemas import dataset_schema
    import pandera.pandas as pa
    try:
        dataset_schema(spec.sdtm[name], spec.sdtm).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise AssertionError(exc.failure_cases.head(30).to_string()) from None


@pytest.fixture(scope="session")
def sdtm(converted):
    """Conformed SDTM datasets of the default study: what convert mapped (map_sdtm of raw_study)."""
    return converted.sdtm.datasets


@pytest.fixture(scope="session")
def adam(sdtm, spec):
    from cdisc_mirocals.adam import derive_adam
    return derive_adam(sdtm, spec)


def sas_date(iso: str) -> float:
    return float((pd.Timestamp(iso) - pd.Timestamp("1960-01-01")).days)


@pytest.fixture(scope="session")
def converted(default_raw_dir, tmp_path_factory, spec):
    """The default study converted once per session, with SOURCE_DATE_EPOCH set as a reproducible build sets it."""
    from cdisc_mirocals import pipeline

    def build(folder: Path) -> dict:
        # one convert for all xdist workers: the first builds it and pickles the result, the others load it
        mp = pytest.MonkeyPatch()
        mp.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        try:
            result = pipeline.convert(default_raw_dir, folder / "out", spec)
        finally:
            mp.undo()
        (folder / "result.pickle").write_bytes(pickle.dumps(result))
        return {}
    folder, _ = once(tmp_path_factory, "converted", build)
    return pickle.loads((folder / "result.pickle").read_bytes())


@pytest.fixture(scope="session")
def default_outputs(converted):
    """The main job on the default study, run once: (ConvertResult, OUT folder), analyses in OUT/analysis."""
    return converted, converted.out
