"""Every rule of P21's catalogues is implemented or listed, with its reason, in docs/validation.md."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from cdisc_mirocals.validate.rules import catalogue, load_all

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "validation.md"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("rule_status", ROOT / "tools" / "rule_status.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _listed() -> dict[str, str]:
    """Rule -> reason, read back from the table of docs/validation.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("<!-- rules not implemented:", 1)[1].split("<!-- end of rules not implemented -->", 1)[0]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| ([A-Z]{2}\d{4}[A-Z]?) \|.*\| ([^|]+) \|$", section, re.M)}


def test_every_catalogue_rule_is_implemented_or_listed():
    listed, done = _listed(), set(load_all())
    silent = sorted(set(catalogue()) - done - set(listed))
    assert not silent, f"P21 rules neither implemented nor listed in docs/validation.md: {silent}"
    assert not (set(listed) & done), f"listed as not implemented, but implemented: {sorted(set(listed) & done)}"
    assert set(listed) <= set(catalogue())


def test_docs_table_is_current(tool):
    assert tool.main(["--check"]) == 0, "run python tools/rule_status.py --write"


def test_reasons(tool):
    listed = _listed()
    assert set(listed.values()) <= {"not yet built", "not applicable: SEND (nonclinical) data", tool.OLD_CONFIGURATION} | {
        f"needs a dictionary we do not have: {name}" for _, name in tool.DICTIONARIES}
    assert listed["SD0008"] == "needs a dictionary we do not have: MedDRA"  # --DECOD looked up in MedDRA
    assert listed["SD1344"] == "needs a dictionary we do not have: WHODrug"
    assert listed["SD2257"] == "needs a dictionary we do not have: SNOMED CT"  # TSVAL for INDIC
    # naming a dictionary is not needing it: TSVCDREF must read 'SNOMED'; AE's MedDRA variables present
    assert listed["SD2240"] == "not yet built"
    assert listed["SD1449"] == "not yet built"
    assert listed["SD1074"] == "not applicable: SEND (nonclinical) data"
    assert listed["SD0063"] == tool.OLD_CONFIGURATION  # P21 2.2.0's label check, since split by version


def test_a_rule_dropped_from_the_registry_is_caught(tool, monkeypatch):
    """Removing an implemented rule from the registry makes the docs stale, which --check reports."""
    registry = dict(load_all())
    registry.pop("SD0029")
    monkeypatch.setattr(tool, "implemented", lambda: set(registry))
    assert "| SD0029 |" in tool.table()
    assert tool.main(["--check"]) == 1
