"""Build a fixture's folder once per test session, even when pytest-xdist runs the tests on several
workers: the first worker to ask builds it under a lock, the others wait and reuse it. Each converted
output costs seconds of CPU; building it once per worker would double the suite's time."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Callable


def once(tmp_path_factory, name: str, build: Callable[[Path], dict]) -> tuple[Path, dict]:
    """(folder, result): `build(folder)` fills the empty folder and returns a JSON-able result."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # xdist: the workers' common folder
    folder, result = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            folder.mkdir()
            result.write_text(json.dumps(build(folder)))
    return folder, json.loads(result.read_text())


def summary(result) -> dict:
    """What the tests read of a click CliRunner result."""
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    return {"exit_code": result.exit_code, "output": result.output, "crashed": crashed,
            "exception": repr(result.exception) if crashed else None}
