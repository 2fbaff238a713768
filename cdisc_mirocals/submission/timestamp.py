"""The time stamped into submission files: SOURCE_DATE_EPOCH when set (reproducible builds), else a
fixed date, so that the same inputs give byte-identical files."""

from __future__ import annotations

import os
from datetime import datetime, timezone

FIXED = datetime(2000, 1, 1, tzinfo=timezone.utc)


def build_time() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return FIXED
    try:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        from cdisc_mirocals.errors import MirocalsError
        raise MirocalsError(f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01, "
                            f"not {epoch!r}") from None


def iso_stamp() -> str:
    return build_time().strftime("%Y-%m-%dT%H:%M:%SZ")
