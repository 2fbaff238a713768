"""An ODM 1.3.2 export (raw/odm.py describes its layout) read as the raw forms, with every check of the CSV
route. The file is parsed as define.xml is (no DTD, no entity, no network, a size limit), validated against
the vendored ODM 1.3.2 schema, and its references checked (each FormOID, ItemGroupOID and ItemOID of the
ClinicalData declared, and in its parent). Its records are then written as the CSV export would hold them
and read by read_raw, so that both routes apply the same checks and give the same data; each problem found
there is located back in the ODM file by SubjectKey, StudyEventOID, FormOID, ItemGroupOID,
ItemGroupRepeatKey and ItemOID."""

from __future__ import annotations

import csv
import io
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from cdisc_mirocals.errors import Problem, RawDataError
from cdisc_mirocals.raw.odm import ODM_NS
from cdisc_mirocals.spec import Spec

MAX_BYTES = 2 * 2**30
MAX_SCHEMA_ERRORS = 50


@dataclass(frozen=True)
class OdmProblem(Problem):
    """A problem in an ODM file, located by the ClinicalData path (line: the XML line, when known)."""

    path: tuple[tuple[str, str], ...] = ()  # (attribute, value) from SubjectKey down to ItemOID

    def __str__(self) -> str:
        parts = [self.file] + [f"{k} {v}" for k, v in self.path]
        if self.line is not None and not self.path:
            parts.append(f"line {self.line}")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        return f"{', '.join(parts)}: {self.expected}"


def _q(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _parse(path: Path) -> etree._ElementTree:
    from cdisc_mirocals.submission.define.safe_xml import resource_root
    from cdisc_mirocals.validate.define_reader import parse_xml_safely
    from cdisc_mirocals.validate.readers import InputError

    def refuse(expected: str, line: int | None = None):
        raise RawDataError([OdmProblem(path.name, line, None, None, expected)])

    if path.stat().st_size > MAX_BYTES:
        refuse(f"an ODM file of at most {MAX_BYTES // 2**30} GiB")
    try:
        tree = parse_xml_safely(path)
    except InputError as exc:
        refuse(str(exc).removeprefix(f"{path}: ").replace("A Define-XML document has none", "An ODM export has none"))
    schema = etree.XMLSchema(etree.parse(str(resource_root() / "schema" / "cdisc-odm-1.3.2" / "ODM1-3-2.xsd")))
    if not schema.validate(tree):
        errors = list(schema.error_log)[:MAX_SCHEMA_ERRORS]
        raise RawDataError([OdmProblem(path.name, e.line, None, None, f"valid ODM 1.3.2: {e.message}")
                            for e in errors])
    return tree


class _Export:
    """The records of an ODM file by spec form, and where each came from."""

    def __init__(self, path: Path, tree, spec: Spec):
        self.path, self.spec, self.problems = path, spec, []
        root = tree.getroot()
        mdv = root.find(f"{_q('Study')}/{_q('MetaDataVersion')}")
        self.forms = {fd.get("OID"): fd for fd in mdv.iter(_q("FormDef"))}
        self.groups = {ig.get("OID"): ig for ig in mdv.iter(_q("ItemGroupDef"))}
        self.items = {it.get("OID"): it.get("Name", "") for it in mdv.iter(_q("ItemDef"))}
        # spec form name -> FormOID: by the FormDef's Name, as raw/odm.py writes it
        self.form_of = {fd.get("Name", ""): oid for oid, fd in self.forms.items()}
        self.records: dict[str, list[tuple[int, dict[str, str], tuple]]] = {}
        for sd in root.iter(_q("SubjectData")):
            for se in sd.iter(_q("StudyEventData")):
                for fd in se.iter(_q("FormData")):
                    self._form(sd, se, fd)

    def fail(self, where: tuple, expected: str, value: str | None = None, line: int | None = None) -> None:
        self.problems.append(OdmProblem(self.path.name, line, None, value, expected, where))

    def _form(self, sd, se, fd) -> None:
        base = (("SubjectKey", sd.get("SubjectKey")), ("StudyEventOID", se.get("StudyEventOID")),
                ("FormOID", fd.get("FormOID")))
        form = self.forms.get(fd.get("FormOID"))
        if form is None:
            self.fail(base, "a FormOID the MetaDataVersion defines (FormDef)", line=fd.sourceline)
            return
        name = form.get("Name", "")
        if name not in self.spec.raw:
            self.fail(base, f"a form of specs/raw ({', '.join(self.spec.raw)}); its data would be lost")
            return
        allowed = {ref.get("ItemGroupOID") for ref in form.iter(_q("ItemGroupRef"))}
        for ig in fd.iter(_q("ItemGroupData")):
            where = base + (("ItemGroupOID", ig.get("ItemGroupOID")), ("ItemGroupRepeatKey", ig.get("ItemGroupRepeatKey")))
            group = self.groups.get(ig.get("ItemGroupOID"))
            if group is None or ig.get("ItemGroupOID") not in allowed:
                self.fail(where, f"an ItemGroupOID of FormDef {fd.get('FormOID')}", line=ig.sourceline)
                continue
            key = ig.get("ItemGroupRepeatKey") or ""
            if not key.isdigit():
                self.fail(where, "an ItemGroupRepeatKey 1, 2, ...: the record's place in its form", key or None)
                continue
            members = {ref.get("ItemOID") for ref in group.iter(_q("ItemRef"))}
            row = {}
            for item in ig.iter(_q("ItemData")):
                oid = item.get("ItemOID")
                if oid not in members or oid not in self.items:
                    self.fail(where + (("ItemOID", oid),), f"an ItemOID of ItemGroupDef {ig.get('ItemGroupOID')}",
                              line=item.sourceline)
                    continue
                row[self.items[oid]] = item.get("Value", "")
            self.records.setdefault(name, []).append((int(key), row, where))

    def columns(self, name: str) -> list[str]:
        form = self.forms[self.form_of[name]]
        return [self.items.get(ref.get("ItemOID"), "") for ig_ref in form.iter(_q("ItemGroupRef"))
                for ref in self.groups.get(ig_ref.get("ItemGroupOID"), etree.Element("x")).iter(_q("ItemRef"))]

    def write(self, folder: Path) -> dict[str, dict[int, tuple]]:
        """One CSV per form the file holds; {file: {CSV line: ODM location}}."""
        located: dict[str, dict[int, tuple]] = {}
        for name, form in self.spec.raw.items():
            if name not in self.form_of:
                continue  # read_raw says the form is missing, in the CSV route's words
            header = self.columns(name)
            records = sorted(self.records.get(name, []), key=lambda r: r[0])
            seen = {}
            for key, _, where in records:
                if key in seen:
                    self.fail(where, f"one record per ItemGroupRepeatKey; {key} repeats in FormOID {self.form_of[name]}")
                seen[key] = where
            buf, line, lines = io.StringIO(), 2, {}
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(header)
            chunks = [buf.getvalue()]
            for _, row, where in records:
                buf.seek(0)
                buf.truncate()
                writer.writerow([row.get(c, "") for c in header])
                chunks.append(buf.getvalue())
                lines[line] = where
                line += chunks[-1].count("\n")
            (folder / form.file).write_text("".join(chunks), encoding="utf-8")
            located[form.file] = {0: (("FormOID", self.form_of[name]),), **lines}
        return located


def _relocated(problem: Problem, located: dict[str, dict[int, tuple]], export: _Export, files: dict[str, str]) -> Problem:
    where = located.get(problem.file)
    if where is None:
        if problem.file not in files:
            return problem
        expected = problem.expected.replace(f"a file named {problem.file}", f"its FormDef ({files[problem.file]}) "
                                                                             f"and FormData")
        return OdmProblem(export.path.name, None, None, problem.value, _reworded(expected, files),
                          (("FormOID", files[problem.file]),))
    path = where.get(problem.line) if problem.line and problem.line > 1 else where[0]
    path = path or where[0]
    if problem.column:
        form = next(n for n, f in export.spec.raw.items() if f.file == problem.file)
        path = path + (("ItemOID", f"{form_item(export, form, problem.column)}"),)
    return OdmProblem(export.path.name, None, None, problem.value, _reworded(problem.expected, files), path)


def form_item(export: _Export, form: str, column: str) -> str:
    oid = next((o for o, n in export.items.items() if n == column and o in {
        ref.get("ItemOID") for ig in export.groups.values() if ig.get("Name") == form for ref in ig.iter(_q("ItemRef"))}),
        None)
    return oid or column


def _reworded(text: str, files: dict[str, str]) -> str:
    if not files:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(f) for f in files) + r")\b")
    return pattern.sub(lambda m: f"FormOID {files[m.group(1)]}", text)


def read_odm(path: str | Path, spec: Spec, progress=None, transliterate: bool = False):
    from cdisc_mirocals.raw.reader import read_raw

    path = Path(path)
    export = _Export(path, _parse(path), spec)
    files = {f.file: export.form_of.get(n, f"F.{n}") for n, f in spec.raw.items()}
    with tempfile.TemporaryDirectory(prefix="odm-") as tmp:
        located = export.write(Path(tmp))
        if export.problems:
            raise RawDataError(export.problems)
        try:
            study = read_raw(Path(tmp), spec, progress=progress, transliterate=transliterate)
        except RawDataError as exc:
            raise RawDataError([_relocated(p, located, export, files) for p in exc.problems]) from None
    return replace(study, path=path)
