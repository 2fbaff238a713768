"""The README and docs/ are for users: every relative link opens (a file of the checkout, and a heading of
it where the link names one), and no page points at what a user cannot open (the project's internal issue
numbers, a design sketch that is not in the repository)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"```.*?```", re.S)

needs_checkout = pytest.mark.skipif(not (ROOT / "docs").is_dir(), reason="not run from a checkout")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text))


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"(?m)^#+\s+(.*)$", text)}


def links(page: Path):
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    for pattern in (LINK, IMAGE):
        for m in pattern.finditer(text):
            target = m.group(1)
            if not re.match(r"[a-z]+:", target):
                yield target


@needs_checkout
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_opens(page):
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no such heading")
    assert broken == [], f"{page.name}: {broken}"


@needs_checkout
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_no_page_speaks_of_internal_issues_or_missing_documents(page):
    text = page.read_text(encoding="utf-8")
    assert not re.search(r"(?i)\bissues? #?\d+", text), page.name
    assert "DESIGN.md" not in text, page.name


@needs_checkout
def test_the_readme_states_the_rule_counts_the_validator_has():
    from cdisc_mirocals.validate import rules

    registry = rules.load_all().values()
    sdtm = [r for r in registry if "SDTM" in r.standards]
    adam = [r for r in registry if "ADaM" in r.standards]
    stated = (f"{len(list(registry))} rules: {len(sdtm)} for SDTM, {sum(r.p21 for r in sdtm)} of them with a Pinnacle "
              f"21 ID, and {len(adam)} for ADaM, {sum(r.p21 for r in adam)} with a Pinnacle 21 ID")
    assert stated in (ROOT / "README.md").read_text(encoding="utf-8")
