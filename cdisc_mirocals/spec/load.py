"""load_spec: specs/ (study.toml and the SDTM, ADaM and raw sheets) into one Spec, or one SpecError that
lists every problem found."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from cdisc_mirocals.errors import Problem, SpecError
from cdisc_mirocals.spec.model import Spec, Study
from cdisc_mirocals.spec.raw import check_targets, load_raw
from cdisc_mirocals.spec.sheets import expand
from cdisc_mirocals.spec.explanations import load_explanations
from cdisc_mirocals.spec.grading import load_grading
from cdisc_mirocals.spec.standard import load_standard
from cdisc_mirocals.spec.windows import load_windows


def _expand_toml(value: Any, data: dict[str, Any], where: str, problems: list[Problem]) -> Any:
    """Placeholders in study.toml text (e.g. a TS value quoting the pNFH threshold), expanded."""
    if isinstance(value, dict):
        return {k: _expand_toml(v, data, f"{where}.{k}", problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_toml(v, data, where, problems) for v in value]
    if isinstance(value, str) and "{" in value:
        try:
            return expand(value, data)
        except KeyError as exc:
            problems.append(Problem("study.toml", None, where, value,
                                    f"placeholders naming study.toml values; {exc.args[0]} is not one"))
    return value


def default_spec_root() -> Path:
    """specs/ inside an installed wheel, else the source tree's specs/."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_data" / "specs", here.parent / "specs"):
        if (candidate / "study.toml").is_file():
            return candidate
    raise SpecError([Problem("specs/", None, None, None,
                             "the specification folder; reinstall the package or pass --specs")])


def open_source(root: Path):
    """A specs/ folder, or a Pinnacle 21 workbook (.xlsx) holding the same sheets."""
    if root.suffix.lower() == ".xlsx" and not root.is_dir():
        from cdisc_mirocals.spec.workbook import WorkbookSource
        return WorkbookSource(root)
    from cdisc_mirocals.spec.source import CsvSource
    return CsvSource(root)


def load_spec(root: str | Path | None = None) -> Spec:
    """Load every sheet under `root` (default: the package's own specs/), a specs/ folder or a workbook."""
    return _load_spec_cached(Path(root).resolve() if root else default_spec_root())


@lru_cache(maxsize=8)
def _load_spec_cached(root: Path) -> Spec:
    source = open_source(root)
    problems: list[Problem] = list(getattr(source, "problems", []))  # a workbook's, found in reading it
    data = source.study()
    try:
        studyid = data["study"]["studyid"]
    except (KeyError, TypeError):
        raise SpecError([Problem("study.toml", None, "study.studyid", None, "a study identifier")]) from None
    data["trial_summary"] = _expand_toml(data.get("trial_summary", {}), data, "trial_summary", problems)
    sdtm = load_standard("SDTM", source, problems, data)
    adam = load_standard("ADaM", source, problems, data)
    raw = load_raw(source, problems)
    windows = load_windows(source, problems, data)
    grading = load_grading(source, problems, data)
    explanations = load_explanations(source, problems, data)
    problems += check_targets(raw, sdtm, source.table("raw/fields.csv"))
    problems = source.settle(problems) if hasattr(source, "settle") else problems
    if problems:
        raise SpecError(problems)
    return Spec(root, Study(studyid, data), sdtm, adam, raw, windows, grading, explanations)
