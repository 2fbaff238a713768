"""The plausibility rules on dates that hold at every level of the data, written once: the raw CRF
edit checks of check-raw (validate/edit_checks.py) and the SDTM validation rules
(validate/rules/plausibility.py) bind each one to their own variables.

Dates are ISO 8601 text, complete or partial; two dates are compared at the precision both have."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PlausibilityRule:
    """A rule's identity, shared by its bindings: the ID (P21's where it mirrors one), severity, message."""

    id: str
    severity: str
    message: str
    description: str
    category: str = "Limit"
    publisher: tuple[str, ...] = ()


FUTURE = PlausibilityRule("MC0101", "Error", "Date is in the future",
                  "A date cannot be later than the day the data are checked.")
BEFORE_1900 = PlausibilityRule("MC0102", "Error", "Date is before 1900",
                       "A date before 1900 is a typing error (1800 for 2018) in a trial of living people.")
BIRTH_AFTER_CONSENT = PlausibilityRule("MC0103", "Error", "Birth date is after informed consent",
                               "A subject is born before giving informed consent (BRTHDTC <= RFICDTC).",
                               publisher=("FDAB034",))
START_AFTER_END = PlausibilityRule("SD0013", "Error", "--STDTC is after --ENDTC",
                           "Start Date/Time of Event, Exposure or Observation (--STDTC) must be less or equal to End "
                           "Date/Time of Event, Exposure or Observation (--ENDTC).", publisher=("FDAB034",))
AFTER_DEATH = PlausibilityRule("MC0104", "Error", "Record is dated after the subject's death",
                       "No event, intervention, visit or finding can start or be collected after DM.DTHDTC "
                       "(disposition, death details and subject status excepted; so are records that say the "
                       "event did not occur or the test was not done, --OCCUR 'N' or --STAT 'NOT DONE', such as a "
                       "planned injection missed).", publisher=("FDAB034",))
DEATH_BEFORE_RANDOMISATION = PlausibilityRule("MC0105", "Error", "Death is before randomisation",
                                      "A randomised subject cannot have died before the randomisation date "
                                      "(DS record with DSDECOD = 'RANDOMIZED').", publisher=("FDAB034",))
VISIT_BEFORE_CONSENT = PlausibilityRule("MC0106", "Error", "Visit is before informed consent",
                                "No study visit can take place before informed consent (SVSTDTC >= RFICDTC).",
                                publisher=("CG0075",))
PRECISIONS = (4, 7, 10)  # YYYY, YYYY-MM, YYYY-MM-DD


def after(first: pd.Series, second: pd.Series) -> pd.Series:
    """True where ISO 8601 date `first` is certainly after `second`: compared at the precision both have
    (2018 against 2018-03-05 compares years), and never where either is missing. Times are ignored."""
    a = pd.Series(first, copy=False)
    b = pd.Series(second, index=a.index)
    (codes_a, uniques_a), (codes_b, uniques_b) = _factorise(a), _factorise(b)
    return pd.Series(after_codes(codes_a, date_texts(uniques_a), codes_b, date_texts(uniques_b)), index=a.index)


def after_codes(codes_a: np.ndarray, texts_a: list[str], codes_b: np.ndarray, texts_b: list[str]) -> np.ndarray:
    """`after` on factorised dates: codes into the distinct texts of each side (date_texts). Texts are
    compared as texts, through the rank of each distinct prefix: numpy, not a Python call per record."""
    shortest = np.minimum(_lengths(texts_a)[codes_a], _lengths(texts_b)[codes_b])
    out = np.zeros(len(codes_a), dtype=bool)
    for k, upper in zip(PRECISIONS, (*PRECISIONS[1:], 11)):
        sel = (shortest >= k) & (shortest < upper)
        if sel.any():
            prefix_a, prefix_b = [t[:k] for t in texts_a], [t[:k] for t in texts_b]
            ranks = np.unique(np.array(prefix_a + prefix_b, dtype=object))
            rank_a = np.searchsorted(ranks, np.array(prefix_a, dtype=object))
            rank_b = np.searchsorted(ranks, np.array(prefix_b, dtype=object))
            out |= sel & (rank_a[codes_a] > rank_b[codes_b])
    return out


def date_texts(uniques) -> list[str]:
    """Each distinct value as the text `after` compares: at most 10 characters, '' where missing."""
    return ["" if pd.isna(u) else str(u)[:10] for u in uniques]


def _factorise(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)


def _lengths(texts: list[str]) -> np.ndarray:
    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


def before_1900(dates: pd.Series) -> pd.Series:
    year = dates.astype(object).where(dates.notna(), "").astype(str).str.slice(0, 4)
    return year.str.fullmatch(r"\d{4}").fillna(False) & (year < "1900")


def in_future(dates: pd.Series, today: dt.date) -> pd.Series:
    return after(dates, pd.Series(today.isoformat(), index=dates.index))


END_OF_STUDY_DEATH = PlausibilityRule("MC0109", "Error", "End of study is death, but no death is reported",
                              "A subject whose end of study (or end of treatment) reason is death has a death report "
                              "with its date (raw: a death form record; SDTM: DM.DTHDTC).", category="Consistency")
RULES = (FUTURE, BEFORE_1900, BIRTH_AFTER_CONSENT, START_AFTER_END, AFTER_DEATH, DEATH_BEFORE_RANDOMISATION,
              VISIT_BEFORE_CONSENT, END_OF_STUDY_DEATH)
