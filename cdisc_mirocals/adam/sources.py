"""The SDTM dates that show a subject alive, in the order the specs rank them (MT.ADSL.LSTALVDT).

ADSL.LSTALVDT takes the latest of them; ADTTE censors at them, so its SRCDOM, SRCVAR and SRCSEQ point
at the very record that gave the date.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_mirocals.dates import to_date


@dataclass(frozen=True)
class AliveSource:
    domain: str
    dtc: str
    seq: str
    where: tuple[str, str, bool] | None = None  # (variable, value, equal?)


ALIVE_SOURCES = (
    AliveSource("DS", "DSSTDTC", "DSSEQ", ("DSDECOD", "DEATH", False)),
    AliveSource("SS", "SSDTC", "SSSEQ", ("SSSTRESC", "ALIVE", True)),
    AliveSource("EX", "EXENDTC", "EXSEQ"),
    AliveSource("QS", "QSDTC", "QSSEQ"),
    AliveSource("RE", "REDTC", "RESEQ"),
    AliveSource("LB", "LBDTC", "LBSEQ"),
    AliveSource("VS", "VSDTC", "VSSEQ"),
    AliveSource("AE", "AESTDTC", "AESEQ"),
    AliveSource("AE", "AEENDTC", "AESEQ", ("AEOUT", "FATAL", False)),
    AliveSource("PR", "PRSTDTC", "PRSEQ"),
)


def alive_records(sdtm: dict[str, pd.DataFrame], dm: pd.DataFrame) -> pd.DataFrame:
    """For each source, each subject's record with the latest complete date showing them alive (no date
    after death): USUBJID, ADT, SRCDOM, SRCVAR, SRCSEQ, and _PRIORITY (the source's rank, for ties).

    Where a source has several records on that date, the first in the dataset's order is kept: LSTALVDT
    and the ADTTE censoring both take the latest date, then the source ranked first, then the first
    record, so no other record of a source can be chosen, and a large study's findings domains (millions
    of dated records) are not copied whole."""
    death = dm.set_index("USUBJID")["DTHDTC"].pipe(to_date)
    frames = []
    for rank, src in enumerate(ALIVE_SOURCES):
        data = sdtm[src.domain]
        if src.where:
            var, value, equal = src.where
            data = data[(data[var] == value) == equal]
        date = to_date(data[src.dtc])
        keep = date.notna() & ~(date > data["USUBJID"].map(death))
        rows = _latest_per_subject(data["USUBJID"].to_numpy()[keep.to_numpy()], date[keep].to_numpy())
        rows = np.flatnonzero(keep.to_numpy())[rows]
        frames.append(pd.DataFrame({"STUDYID": data["STUDYID"].iloc[rows], "USUBJID": data["USUBJID"].iloc[rows],
                                    "ADT": date.iloc[rows], "SRCDOM": src.domain, "SRCVAR": src.dtc,
                                    "SRCSEQ": data[src.seq].iloc[rows].astype(float), "_PRIORITY": rank}))
    return pd.concat(frames, ignore_index=True)


def _latest_per_subject(subjects: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Positions of each subject's first record on their latest date, in the order of the records."""
    latest = pd.Series(dates).groupby(subjects, sort=False).transform("max").to_numpy()
    on_latest = np.flatnonzero(dates == latest)
    return on_latest[~pd.Series(subjects[on_latest]).duplicated().to_numpy()]


def last_alive(records: pd.DataFrame) -> pd.DataFrame:
    """The latest alive record per subject; on a tie, the source ranked first."""
    ordered = records.sort_values(["USUBJID", "ADT", "_PRIORITY"], ascending=[True, False, True], kind="stable")
    return ordered.groupby("USUBJID", sort=False).head(1)
