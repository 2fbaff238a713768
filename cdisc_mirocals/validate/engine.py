"""Validate a folder of SDTM or ADaM datasets: read it, choose the standard and the study metadata,
run the schemas and every rule, and return one Report.

    validate_folder(path, standard=None, define=None, specs=None, sdtm=None) -> Report
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from cdisc_mirocals import __version__
from cdisc_mirocals.spec import Spec, Standard, load_spec
from cdisc_mirocals.validate import profiles
from cdisc_mirocals.validate import rules as registry
from cdisc_mirocals.validate.causes import one_per_cause
from cdisc_mirocals.validate.context import Data, Study, as_text
from cdisc_mirocals.validate.define_reader import Define, read_define
from cdisc_mirocals.validate.model import LATEST, STANDARDS, load_model, standard_key
from cdisc_mirocals.validate.readers import DatasetFile, FolderError, copies, dataset_files, read_folder
from cdisc_mirocals.validate.report import DATASET_COLUMNS, FINDING_COLUMNS, RULE_COLUMNS, Report, sort_findings
from cdisc_mirocals.validate.schemas import dataset_schema, failures, model_schema

DTYPES = {"record": "Int64", "count": "Int64", "seq": float}
# rules that compare variables with the model's domain tables: their verdict depends on the IG version
VERSION_SENSITIVE = {"SD0055", "SD0056", "SD0057", "SD0058", "SD1076", "SD1079", "AD0047", "AD0018"}


def validate_folder(path: str | Path, standard: str | None = None, define: str | Path | None = None,
                    specs: Spec | str | Path | None = None, sdtm: str | Path | None = None,
                    today: dt.date | None = None, read=read_folder, profile: str = "fda") -> Report:
    """Validate every XPT / Dataset-JSON file of `path`. The define.xml beside the data is used unless
    `define` names another; `specs` (a Spec or a specs folder) gives study metadata, which is found by
    itself for this package's own study; an ADaM folder's SDTM is `sdtm` or found beside it. `read`
    reads a folder (read_folder; a caller validating several folders may hand in one that remembers).
    `profile` (fda, pmda, cdisc: validate/profiles.py) chooses the rules and says what the agency does."""
    path = Path(path)
    files = read(path)
    if not files:
        raise FolderError(f"{path}: no XPT (.xpt) or Dataset-JSON (.json, .ndjson) files")
    define_path = Path(define) if define else (path / "define.xml" if (path / "define.xml").is_file() else None)
    define_doc = read_define(define_path) if define_path else None
    sdtm_files = None
    key, how = choose_standard(files, define_doc, standard)
    if STANDARDS[key][0] == "ADaM":
        sdtm_dir = Path(sdtm) if sdtm else find_sdtm(path)
        if sdtm_dir is not None:
            sdtm_files = read(sdtm_dir)
    if isinstance(specs, (str, Path)):
        specs = load_spec(specs)
    report = validate_files(files, key, define=define_doc, specs=specs, sdtm_files=sdtm_files, folder=str(path),
                            standard_source=how, today=today, profile=profile)
    left = [p.name for p in copies(path)]
    if left:
        report.notes.append(f"{len(left)} Dataset-JSON file(s) beside the XPT files of the same name were not "
                            f"validated (the XPT files, the submission's format, were): {', '.join(left)}")
    return report


def choose_standard(files: dict[str, DatasetFile], define: Define | None, given: str | None) -> tuple[str, str]:
    if given:
        if given.lower() not in STANDARDS:
            raise FolderError(f"unknown standard {given!r}: expected one of {', '.join(STANDARDS)}")
        return given.lower(), "given"
    if define is not None and define.standard_name:
        declared = f"define.xml ({define.standard_name} {define.standard_version})"
        key = standard_key(define.family, define.standard_version)
        return (key, declared) if key else (LATEST[define.family], f"{declared}; no model of that version is "
                                            f"vendored, so the latest")
    names = set(files)
    with_domain = {n for n, f in files.items() if "DOMAIN" in f.columns or "RDOMAIN" in f.columns}
    adam = {n for n in names if n.startswith("AD")} - with_domain
    if adam and not with_domain:
        return "adamig-1.3", "detected from the data (ADaM dataset names, no DOMAIN)"
    if with_domain and not adam:
        version = _ts_sdtigver(files)
        key = standard_key("SDTM", version) if version else None
        return (key, f"TS.SDTIGVER {version}") if key else (LATEST["SDTM"], "detected from the data (DOMAIN variables)")
    raise FolderError("cannot tell SDTM from ADaM in this folder" + (" (it holds both)" if adam and with_domain else "")
                      + f": give --standard ({', '.join(STANDARDS)})")


def _ts_sdtigver(files: dict[str, DatasetFile]) -> str:
    ts = files.get("TS")
    if ts is not None and {"TSPARMCD", "TSVAL"} <= set(ts.frame):
        values = ts.frame.loc[ts.frame["TSPARMCD"] == "SDTIGVER", "TSVAL"]
        return str(values.iloc[0]).strip() if len(values) else ""
    return ""


def find_sdtm(adam_dir: Path) -> Path | None:
    """The SDTM folder beside an ADaM folder: ../sdtm, or the eCTD m5 tabulations/sdtm."""
    for up in list(adam_dir.resolve().parents)[:4]:
        for candidate in (up / "sdtm", up / "tabulations" / "sdtm"):
            if candidate.is_dir() and any(p.stem.lower() == "dm" for p in dataset_files(candidate)):
                return candidate
    return None


def _own_study(files: dict[str, DatasetFile], family: str) -> Spec | None:
    """This package's specs, when the data is its study (same STUDYID, datasets the specs define)."""
    spec = load_spec()
    std = spec.sdtm if family == "SDTM" else spec.adam
    studyids = {v for f in files.values() if "STUDYID" in f.frame for v in f.frame["STUDYID"].unique()[:2]}
    return spec if studyids == {spec.study.studyid} and set(files) <= set(std.datasets) else None


def validate_files(files: dict[str, DatasetFile], standard: str, define: Define | None = None,
                   specs: Spec | None = None, sdtm_files: dict[str, DatasetFile] | None = None, folder: str = "",
                   standard_source: str = "given", today: dt.date | None = None,
                   rule_ids: set[str] | None = None, detect_study: bool = True, profile: str = "fda") -> Report:
    """Validate datasets already read (the fault-injection tests and `convert` pass them in memory).
    detect_study=False checks this package's own study as any other folder, without its specs/."""
    model = load_model(standard)
    family = model.family
    chosen = profiles.profile(profile)
    notes = list(chosen.notes)
    own = specs or (_own_study(files, family) if detect_study else None)
    metadata: Standard | None = None
    source = "none"
    if own is not None:
        metadata, source = (own.sdtm if family == "SDTM" else own.adam), "specs/ (this package's study)"
    elif define is not None:
        metadata, source = define.metadata, "define.xml"
    declared = _declared_version(files, define, family)
    older = bool(declared) and declared != model.version
    if older:
        notes.append(f"the data declares {model.name} {declared}; it is checked against the {model.name} "
                     f"{model.version} model, so the findings of {', '.join(sorted(VERSION_SENSITIVE))} (variables "
                     f"against the model's domain tables) may be version differences: they are reported as Notices")
    named = _named_ct(define, model)
    if named:
        notes.append(f"define.xml names {named}; this package vendors {', '.join(model.ct_releases)} only, the "
                     f"closest release it has, which the data are checked against: CT findings (CT2001, CT2002, "
                     f"CT2003) may be version differences")
    elif model.key != LATEST[family]:
        notes.append(f"checked against {model.name} {model.version}, with the controlled terminology this package "
                     f"vendors ({', '.join(model.ct_releases)}): no older CT release is vendored, so CT findings "
                     f"(CT2001, CT2002, CT2003) may be version differences")
    notes += [f"{f.path.name}: {n}" for f in files.values() for n in f.notes]
    study = Study(family, model, _datas(files, model, metadata), define, metadata, today=today or dt.date.today())
    if sdtm_files is not None:
        sdtm_model = load_model("sdtmig-3.4")
        study.sdtm = Study("SDTM", sdtm_model, _datas(sdtm_files, sdtm_model, None))
    if own is not None:
        visits = own.study.data.get("schedule", {}).get("visits", [])  # an imported define.xml has no schedule
        study.windows = {v["visit"]: (int(v["day"]), int(v["window"])) for v in visits}
    rules = [r for r in registry.for_family(family) if (rule_ids is None or r.id in rule_ids) and chosen.selects(r)]
    findings = one_per_cause(run(study, rules, notes))
    if older:
        findings = _as_version_notices(findings, f"{model.name} {model.version}; the data declares {declared}")
    notes += chosen.run_notes(findings)
    return Report(folder=folder, standard=standard, standard_source=standard_source,
                  define=str(define.path) if define else "", metadata=source,
                  ct=", ".join(model.ct_releases) + (f" (define.xml names {named}: the closest vendored)" if named else ""),
                  datasets=_dataset_table(study), rules=_rule_table(rules), findings=findings, notes=notes,
                  version=__version__, profile=chosen.name,
                  sdtm=str(next(iter(sdtm_files.values())).path.parent) if sdtm_files else "")


def _as_version_notices(findings: pd.DataFrame, note: str) -> pd.DataFrame:
    """Model-table findings on data of another IG version: kept, as Notices that say so."""
    sensitive = findings["rule"].isin(VERSION_SENSITIVE)
    out = findings.copy()
    out.loc[sensitive, "severity"] = "Notice"
    out.loc[sensitive, "detail"] = out.loc[sensitive, "detail"].astype(str) + f" [{note}]"
    return sort_findings(out).reset_index(drop=True)


def _named_ct(define: Define | None, model) -> str:
    """The CT releases define.xml names that the vendored ones are not ("SDTM CT 2015-12-18"), or ""."""
    if define is None:
        return ""
    sets = {"SDTM": "SDTM", "ADAM": "ADaM"}  # the CT this package checks; Define-XML's own CT it does not
    named = [f"{sets[group.upper()]} CT {version}" for group, version in define.ct if group.upper() in sets]
    return ", ".join(n for n in named if n not in model.ct_releases)


def _declared_version(files, define: Define | None, family: str) -> str:
    if define is not None and define.standard_version:
        return define.standard_version
    return _ts_sdtigver(files) if family == "SDTM" else ""


def _datas(files, model, metadata: Standard | None) -> dict[str, Data]:
    out = {}
    for name, f in files.items():
        meta = metadata.datasets.get(name) if metadata is not None else None
        out[name] = Data(f, model.domain_for(name, f.domain, f.columns), meta)
    return out


def run(study: Study, rules: list, notes: list[str]) -> pd.DataFrame:
    by_id = {r.id: r for r in rules}
    parts = [_schema_findings(study, by_id)]
    for rule in rules:
        if rule.check is None:
            continue
        try:
            for hit in rule.run(study):
                parts.append(_to_findings(study, rule, hit))
        except Exception as exc:  # foreign data must not stop the run: say which rule could not run
            notes.append(f"rule {rule.id} could not run on this data: {type(exc).__name__}: {exc}")
    parts = [p for p in parts if len(p)]
    findings = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FINDING_COLUMNS).astype(DTYPES)
    return sort_findings(findings[FINDING_COLUMNS]).reset_index(drop=True)


def _schema_findings(study: Study, by_id: dict) -> pd.DataFrame:
    parts = []
    for data in study.datasets.values():
        schemas = []
        if data.model is not None:
            schemas.append(model_schema(data.model, study.model, data.frame, data.distinct))
        if data.meta is not None:
            schemas.append(dataset_schema(data.meta, study.metadata, structure=False, iso=False, value_mandatory=True,
                                          frame=data.frame, distinct=data.distinct,
                                          widths=_physical_widths(data), note_types=True))
        for schema in schemas:
            found = failures(schema, data.frame)
            found = found[found["rule"].isin(by_id) & found["row"].notna()]
            for (rule_id, variable, expected), group in found.groupby(["rule", "variable", "expected"], sort=False):
                variables = tuple(v.strip() for v in variable.split(","))
                rows_ = np.unique(group["row"].astype(int).to_numpy())
                values = None if len(variables) > 1 else as_text(data.frame[variable].iloc[rows_]).to_numpy()
                detail = "" if rule_id in ("SD0002", "AD0196", "MC0301") else f"expected {expected}"
                parts.append(_to_findings(study, by_id[rule_id], registry.Hit(data.name, rows_, variables, values, detail)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FINDING_COLUMNS).astype(DTYPES)


def _physical_widths(data: Data) -> dict[str, int] | None:
    """XPT variable lengths, which no value can exceed (a Dataset-JSON length is only a declaration)."""
    if data.file.format != "XPT":
        return None
    return {n: c.length for n, c in data.file.columns.items() if c.length}


def _to_findings(study: Study, rule, hit) -> pd.DataFrame:
    data = study.get(hit.dataset)
    base = dict(rule=rule.id, severity=rule.severity, dataset=hit.dataset, message=rule.message,
                category=rule.category, p21=rule.p21_id, fda=", ".join(rule.fda), cdisc=", ".join(rule.cdisc),
                publisher=", ".join(rule.publisher), variables=", ".join(hit.variables))
    if hit.rows is None or data is None:
        values = hit.values if isinstance(hit.values, str) else ""
        one = {**base, "record": pd.array([pd.NA], dtype="Int64"), "count": pd.array([1], dtype="Int64"),
               "usubjid": "", "seq": np.array([np.nan]),
               "values": values, "detail": hit.detail if isinstance(hit.detail, str) else ""}
        return pd.DataFrame(one, index=pd.RangeIndex(1))[FINDING_COLUMNS]
    rows_ = np.asarray(hit.rows, dtype=int)
    frame = data.frame
    n = len(rows_)
    if hit.values is None:
        cols = [as_text(frame[v].iloc[rows_]).to_numpy() for v in hit.variables if v in frame]
        values = cols[0] if len(cols) == 1 else (pd.Series(cols[0]).str.cat([pd.Series(c) for c in cols[1:]], sep=", ")
                                                 .to_numpy() if cols else np.full(n, ""))
    else:
        values = np.broadcast_to(np.asarray(hit.values, dtype=object), (n,))
    seq = data.seq
    columns = {
        **base,
        "record": pd.array(rows_ + 1, dtype="Int64"),
        "count": pd.array(np.ones(n, dtype=int), dtype="Int64"),
        "usubjid": frame["USUBJID"].to_numpy()[rows_] if "USUBJID" in frame else np.full(n, ""),
        "seq": pd.to_numeric(frame[seq], errors="coerce").to_numpy(dtype=float)[rows_] if seq else np.full(n, np.nan),
        "values": values,
        "detail": np.broadcast_to(np.asarray(hit.detail, dtype=object), (n,)),
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(n))[FINDING_COLUMNS]


def _dataset_table(study: Study) -> pd.DataFrame:
    rows_ = []
    for d in study.datasets.values():
        cls = d.model.cls if d.model is not None else (d.meta.class_ if d.meta is not None else "")
        rows_.append({"dataset": d.name, "label": d.file.label, "class": cls, "records": len(d.frame),
                      "variables": len(d.frame.columns), "file": d.file.path.name, "format": d.file.format,
                      "model": d.model.name if d.model is not None else ""})
    return pd.DataFrame(rows_, columns=DATASET_COLUMNS)


def _rule_table(rules) -> pd.DataFrame:
    return pd.DataFrame([{"rule": r.id, "p21": "Yes" if r.p21 else "No", "fda": ", ".join(r.fda),
                          "cdisc": ", ".join(r.cdisc), "publisher": ", ".join(r.publisher),
                          "severity": r.severity, "family": r.family, "category": r.category, "message": r.message,
                          "description": r.description} for r in rules], columns=RULE_COLUMNS)
