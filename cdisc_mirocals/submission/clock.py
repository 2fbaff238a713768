"""The one timestamp every submission file carries: SOURCE_DATE_EPOCH when set (reproducible builds),
else a fixed date, so that the same inputs always give the same bytes."""

from __future__ import annotations

import os
from datetime import datetime, timezone

FIXED = datetime(2000, 1, 1, tzinfo=timezone.utc)


def build_time() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return datetime.fromtimestamp(int(epoch), tz=timezone.utc) if epoch.isdigit() else FIXED


def iso_stamp() -> str:
    return build_time().strftime("%Y-%m-%dT%H:%M:%SZ")
