import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdisc_mirocals.raw.dates import raw_to_iso
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.spec import load_spec

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session")
def spec():
    return load_spec()


@pytest.fixture(scope="session")
def default_forms(spec):
    return simulate_study(spec=spec)


@pytest.fixture(scope="session")
def default_raw_dir(tmp_path_factory, spec, default_forms):
    out = tmp_path_factory.mktemp("raw")
    write_forms(default_forms, out, spec)
    return out


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
