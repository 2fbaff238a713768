"""Print a pip constraints file that pins every direct dependency of pyproject.toml (test extras included)
to the lowest version its range allows, so that CI can test the oldest environment a user may get.

    python tools/lowest_constraints.py > lowest.txt && pip install -c lowest.txt '.[test]'
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

LOWER = re.compile(r"(>=|==|~=)\s*([0-9][^,;\s]*)")
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def lowest(requirements: list[str]) -> list[str]:
    pins = []
    for req in requirements:
        spec = req.split(";", 1)[0].split("#", 1)[0]
        name = NAME.match(spec)
        bound = LOWER.search(spec)
        if name is None or bound is None:
            raise SystemExit(f"pyproject.toml: {req!r} has no lower bound; every dependency needs one")
        pins.append(f"{name.group(1).lower()}=={bound.group(2)}")
    return pins


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    sys.stdout.write("\n".join(sorted(set(lowest(reqs)))) + "\n")


if __name__ == "__main__":
    main()
