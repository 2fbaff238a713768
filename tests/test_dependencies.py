"""The dependency ranges of pyproject.toml, the lowest-version constraints CI derives from them, and the
pinned set of constraints/tested.txt agree: every pin lies inside its range, and CI's lowest environment
is exactly the lower bounds."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "lowest_constraints.py"
TESTED = ROOT / "constraints" / "tested.txt"

needs_checkout = pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="not run from a checkout")


def direct_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    reqs += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    return {canonicalize_name(r.name): r for r in reqs}


def pins(text: str) -> dict[str, Version]:
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not name==version"
            out[canonicalize_name(name)] = Version(version)
    return out


@needs_checkout
def test_lowest_constraints_pin_each_direct_dependency_at_its_lower_bound():
    text = subprocess.run([sys.executable, str(TOOL)], check=True, capture_output=True, text=True).stdout
    lowest = pins(text)
    requirements = direct_requirements()
    assert set(lowest) == set(requirements)
    for name, req in requirements.items():
        assert lowest[name] in req.specifier, name
        lower = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
        assert lowest[name] == max(lower), name


@needs_checkout
def test_a_dependency_without_a_lower_bound_is_refused(tmp_path):
    sys.path.insert(0, str(TOOL.parent))
    try:
        from lowest_constraints import lowest
    finally:
        sys.path.pop(0)
    assert lowest(["pandas>=2.2,<3", "tabulate>=0.9  # comment"]) == ["pandas==2.2", "tabulate==0.9"]
    with pytest.raises(SystemExit, match="'numpy' has no lower bound"):
        lowest(["numpy"])


@needs_checkout
def test_the_pinned_environment_lies_inside_every_range():
    pinned = pins(TESTED.read_text(encoding="utf-8"))
    for name, req in direct_requirements().items():
        assert name in pinned, f"constraints/tested.txt does not pin {name}"
        assert pinned[name] in req.specifier, f"constraints/tested.txt pins {name} {pinned[name]}, outside {req.specifier}"
