"""The SDTM dates that show a subject alive, in the order the specs rank them (MT.ADSL.LSTALVDT).

ADSL.LSTALVDT takes the latest of them; ADTTE censors at them, so its SRCDOM, SRCVAR and SRCSEQ point
at the very record that gave the date.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """One row per SDTM record with a complete date showing the subject alive (no date after death):
    USUBJID, ADT, SRCDOM, SRCVAR, SRCSEQ, and _PRIORITY (the source's rank, for ties)."""
    death = dm.set_index("USUBJID")["DTHDTC"].pipe(to_date)
    frames = []
    for rank, src in enumerate(ALIVE_SOURCES):
        data = sdtm[src.domain]
        if src.where:
            var, value, equal = src.where
            data = data[(data[var] == value) == equal]
        date = to_date(data[src.dtc])
        keep = date.notna() & ~(date > data["USUBJID"].map(death))
        frames.append(pd.DataFrame({"STUDYID": data["STUDYID"][keep], "USUBJID": data["USUBJID"][keep],
                                    "ADT": date[keep], "SRCDOM": src.domain, "SRCVAR": src.dtc,
                                    "SRCSEQ": data[src.seq][keep].astype(float), "_PRIORITY": rank}))
    return pd.concat(frames, ignore_index=True)


def last_alive(records: pd.DataFrame) -> pd.DataFrame:
    """The latest alive record per subject; on a tie, the source ranked first."""
    ordered = records.sort_values(["USUBJID", "ADT", "_PRIORITY"], ascending=[True, False, True], kind="stable")
    return ordered.groupby("USUBJID", sort=False).head(1)
