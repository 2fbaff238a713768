"""Where a set of results came from: the package version, the sha256 of every input file, the
options, whether the data are simulated (with the notice every output of simulated data carries, read
from the define.xml beside the inputs: see cdisc_mirocals.simulated), and a timestamp: the time of the run (the one `convert` pins for all its files), or SOURCE_DATE_EPOCH
(reproducible-builds.org) when set, so that a rebuild of the same inputs gives byte-identical files."""

from __future__ import annotations

from cdisc_mirocals import __version__
from cdisc_mirocals.analysis.data import AnalysisError, Dataset, Options
from cdisc_mirocals.simulated import notice_in_define
from cdisc_mirocals.submission.timestamp import build_time, source_date_epoch


def timestamp() -> str:
    """The time of the run, the one its submission files carry (build_time: SOURCE_DATE_EPOCH when set)."""
    from cdisc_mirocals.errors import MirocalsError

    try:
        return build_time().strftime("%Y-%m-%dT%H:%M:%SZ")
    except MirocalsError as exc:  # SOURCE_DATE_EPOCH that is not whole seconds
        raise AnalysisError(str(exc)) from None


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
            "timestamp_source": "SOURCE_DATE_EPOCH" if source_date_epoch() else "time of the run",
            "inputs": [{"dataset": d.name, "standard": d.standard, "file": d.path.name, "sha256": d.sha256}
                       for d in inputs],
            "options": options.record()}
