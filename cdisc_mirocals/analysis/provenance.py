"""Where a set of results came from: the package version, the sha256 of every input file, the
options, whether the data are simulated (with the notice every output of simulated data carries, read
from the define.xml beside the inputs: see cdisc_mirocals.simulated), and a timestamp. The timestamp is SOURCE_DATE_EPOCH (reproducible-builds.org) when set, and
null otherwise, so that the same inputs always give byte-identical files."""

from __future__ import annotations

import datetime as dt
import os

from cdisc_mirocals import __version__
from cdisc_mirocals.analysis.data import AnalysisError, Dataset, Options
from cdisc_mirocals.simulated import notice_in_define


def timestamp() -> str | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or epoch.strip() == "":
        return None
    try:
        seconds = int(epoch)
    except ValueError:
        raise AnalysisError(f"SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 UTC, not {epoch!r}") from None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def simulated_notice(inputs: list[Dataset]) -> str | None:
    """The simulated-data notice of the define.xml beside any input dataset, None for real data."""
    for folder in dict.fromkeys(d.path.parent for d in inputs):
        found = notice_in_define(folder)
        if found:
            return found
    return None


def provenance(inputs: list[Dataset], options: Options) -> dict:
    data_notice = simulated_notice(inputs)
    return {"package": "cdisc-mirocals", "version": __version__, "timestamp": timestamp(),
            "simulated": data_notice is not None, "data_notice": data_notice,
            "timestamp_source": "SOURCE_DATE_EPOCH" if timestamp() else "SOURCE_DATE_EPOCH not set",
            "inputs": [{"dataset": d.name, "standard": d.standard, "file": d.path.name, "sha256": d.sha256}
                       for d in inputs],
            "options": options.record()}
