"""The raw CRF forms and fields of specs/raw, and the SDTM variable each field feeds."""

from __future__ import annotations

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.spec.model import RAW_TYPES, RawField, RawForm, Standard
from cdisc_mirocals.spec.sheets import Sheet, number, one_of, parse_keys, yes_no

def load_raw(source, problems: list[Problem]) -> dict[str, RawForm]:
    fields: dict[str, list[RawField]] = {}
    s = fs_sheet = Sheet(source.table("raw/fields.csv"),
              ["Form", "Order", "Field", "Label", "Type", "Required", "Allowed Values", "Min", "Max"], problems)
    for line, row in s.rows():
        form = s.get(line, row, "Form", required=True)
        fields.setdefault(form, []).append(RawField(
            form=form, name=s.get(line, row, "Field", required=True),
            order=s.get(line, row, "Order", int, True, "a whole number") or 0,
            label=row["Label"], type=s.get(line, row, "Type", one_of(RAW_TYPES), True, f"one of {sorted(RAW_TYPES)}"),
            required=bool(s.get(line, row, "Required", yes_no, True, "Yes or No")),
            allowed=tuple(v.strip() for v in row["Allowed Values"].split("|") if v.strip()),
            min=s.get(line, row, "Min", number, expected="a number"),
            max=s.get(line, row, "Max", number, expected="a number"),
            comment=row.get("Comment", ""),
            length=s.get(line, row, "Length", int, expected="a whole number of bytes"),
            target=row.get("Target", ""), test_code=row.get("Test Code", ""),
            other_targets=_entries(row.get("Other Targets", "")), when=_entries(row.get("When", "")),
            preset=_entries(row.get("Preset", ""))))
    forms = {}
    s = Sheet(source.table("raw/forms.csv"), ["Form", "File", "Description", "Key Variables", "Parent", "Required"],
              problems)
    for line, row in s.rows():
        name = s.get(line, row, "Form", required=True)
        fs = tuple(sorted(fields.pop(name, []), key=lambda f: f.order))
        keys = parse_keys(row["Key Variables"])
        if not fs:
            s.fail(line, "Form", name, "at least one field in fields.csv")
        if any(k not in {f.name for f in fs} for k in keys):
            s.fail(line, "Key Variables", row["Key Variables"], f"fields of form {name}")
        forms[name] = RawForm(name, s.get(line, row, "File", required=True), row["Description"], keys,
                              row["Parent"], bool(s.get(line, row, "Required", yes_no, True, "Yes or No")), fs)
    for line, row in s.rows():
        if row["Parent"] and row["Parent"] not in forms:
            s.fail(line, "Parent", row["Parent"], "a form listed in forms.csv")
    for form in fields:
        fs_sheet.fail(None, "Form", form, "a form listed in forms.csv")
    return forms


def _entries(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split("|") if t.strip())


def parse_assignment(text: str) -> tuple[str, str, str]:
    """"DS.VAR = VALUE" (a When or Preset entry) as (DS, VAR, VALUE); empty parts where the text is not one."""
    left, equals, value = text.partition("=")
    dataset, _, variable = left.strip().partition(".")
    return (dataset, variable, value.strip()) if equals else ("", "", "")


def check_targets(raw: dict[str, RawForm], sdtm: Standard, table) -> list[Problem]:
    """Each raw field's Target and Other Targets name SDTM variables or QNAMs of SUPP-- datasets; a Test Code
    is a term of the --TESTCD codelist of a findings dataset the field feeds."""
    problems = []
    lines = {(row.get("Form"), row.get("Field")): line for line, row in table.records([])} \
        if hasattr(table, "records") else {}
    for form in raw.values():
        for f in form.fields:
            line = lines.get((form.name, f.name))
            named = [("Target", f.target)] if f.target else []
            for column, target in named + [("Other Targets", t) for t in f.other_targets]:
                dataset, _, name = target.partition(".")
                ds = sdtm.datasets.get(dataset)
                qnams = sdtm.codelists.get(ds.variable("QNAM").codelist) if ds and "QNAM" in ds.names else None
                known = ds is not None and (name in ds.names or (qnams is not None and name in qnams.values))
                if not known:
                    problems.append(table.problem(line, column, target,
                                                  f"an SDTM variable (DS.VAR) or SUPP-- QNAM, for {form.name}.{f.name}"))
            problems += _check_assignments(f, sdtm, table, line)
            if f.test_code and not _is_test_code(f, sdtm):
                problems.append(table.problem(line, "Test Code", f.test_code,
                                              f"a --TESTCD term of the findings dataset that {form.name}.{f.name} "
                                              f"feeds ({f.target or 'no Target'})"))
    return problems


def _check_assignments(f: RawField, sdtm: Standard, table, line) -> list[Problem]:
    """When and Preset entries name a variable of a dataset the field feeds and, where the variable has a
    codelist, one of its terms; one When per dataset, and none beside a Test Code on its dataset."""
    problems, fed = [], {t.partition(".")[0] for t in f.targets}
    for column, entries in (("When", f.when), ("Preset", f.preset)):
        seen = set()
        for entry in entries:
            dataset, variable, value = parse_assignment(entry)
            ds = sdtm.datasets.get(dataset)
            where = f"for {f.form}.{f.name}"
            if ds is None or dataset not in fed or variable not in ds.names or not value:
                problems.append(table.problem(line, column, entry, f"DS.VAR = VALUE, VAR a variable of a dataset "
                                              f"that {f.form}.{f.name} feeds ({', '.join(sorted(fed)) or 'none'})"))
                continue
            codelist = ds.variable(variable).codelist
            if codelist and value not in sdtm.codelists[codelist].values:
                problems.append(table.problem(line, column, entry, f"a term of codelist {codelist} for {variable}, {where}"))
            if column == "When" and (dataset in seen or (f.test_code and dataset == f.target.partition(".")[0])):
                problems.append(table.problem(line, column, entry, f"one condition per dataset, none beside the "
                                              f"Test Code of the Target's dataset, {where}"))
            seen.add(dataset)
    return problems


def test_code_variable(sdtm: Standard, dataset: str) -> str | None:
    """The --TESTCD variable of a findings dataset, None for any other."""
    ds = sdtm.datasets.get(dataset)
    name = f"{dataset}TESTCD"
    return name if ds is not None and name in ds.names else None


def _is_test_code(f: RawField, sdtm: Standard) -> bool:
    dataset = f.target.partition(".")[0]
    variable = test_code_variable(sdtm, dataset)
    if variable is None:
        return False
    codelist = sdtm[dataset].variable(variable).codelist
    return not codelist or f.test_code in sdtm.codelists[codelist].values
