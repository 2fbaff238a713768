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
            other_targets=tuple(t.strip() for t in row.get("Other Targets", "").split("|") if t.strip())))
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
            if f.test_code and not _is_test_code(f, sdtm):
                problems.append(table.problem(line, "Test Code", f.test_code,
                                              f"a --TESTCD term of the findings dataset that {form.name}.{f.name} "
                                              f"feeds ({f.target or 'no Target'})"))
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
