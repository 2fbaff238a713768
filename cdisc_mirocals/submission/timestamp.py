"""The time stamped into submission files (define.xml, XPT headers, Dataset-JSON): the time of the run,
or SOURCE_DATE_EPOCH when it is set (reproducible-builds.org), so that a rebuild of the same inputs
gives byte-identical files. A run pins its time once (`run_clock`), so that every file it writes
carries the same second."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

_PINNED: ContextVar[datetime | None] = ContextVar("submission_time", default=None)


def source_date_epoch() -> datetime | None:
    """SOURCE_DATE_EPOCH as a UTC time, None when it is not set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        from cdisc_mirocals.errors import MirocalsError
        raise MirocalsError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01, "
                            f"not {epoch!r}") from None


def build_time() -> datetime:
    """SOURCE_DATE_EPOCH when set; else the time pinned by the run (`run_clock`); else now, to the second."""
    return source_date_epoch() or _PINNED.get() or datetime.now(timezone.utc).replace(microsecond=0)


@contextmanager
def run_clock() -> Iterator[datetime]:
    """Pin the time of one run, so that its define.xml, XPT headers and Dataset-JSON files agree."""
    token = _PINNED.set(build_time())
    try:
        yield _PINNED.get()
    finally:
        _PINNED.reset(token)


def iso_stamp() -> str:
    return build_time().strftime("%Y-%m-%dT%H:%M:%SZ")
