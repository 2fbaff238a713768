"""What the annotated CRF writes beside each field, from specs/raw (each field's Target, Other Targets, Test Code,
When and Preset) and the SDTM specification, as the CDISC Metadata Submission Guidelines annotate:

- a variable of a domain: its name (`SEX`);
- a findings result: `VSORRES when VSTESTCD = WEIGHT`;
- a variable several fields of a form feed, with what tells their records apart:
  `MHSTDTC when MHEVDTYP = DIAGNOSIS`, `DSDECOD when DSSCAT = STUDY TREATMENT`;
- a value the records of a field are given whatever was entered (pre-printed on the CRF): `MHCAT = PRIMARY
  DIAGNOSIS`;
- a supplemental qualifier: `ONSETSIT in SUPPMH`;
- a field collected but not submitted: `NOT SUBMITTED`.

The subject identifier is annotated once, on the first form that collects it, with the derivation of USUBJID
(the conventions let the other pages go without it); a form has a domain box for each domain its annotations
name, a supplemental qualifier counting for its parent domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdisc_mirocals.spec import RawField, RawForm, Standard
from cdisc_mirocals.spec.raw import parse_assignment, test_code_variable

NOT_SUBMITTED = "NOT SUBMITTED"
# SDTM's subject identifier: annotated on the first form that collects it only
SUBJECT_ID = "DM.SUBJID"
USUBJID_NOTE = "USUBJID = STUDYID || '-' || SUBJID"


@dataclass(frozen=True)
class Annotation:
    """One SDTM variable (or QNAM) a field feeds, or a value its records are given."""

    dataset: str        # the dataset holding the value: SUPPMH for a QNAM of MH
    variable: str       # the variable, or the QNAM of a supplemental qualifier
    when: tuple[str, str] | None = None   # (variable, value) telling the field's records apart: (VSTESTCD, WEIGHT)
    qnam: bool = False
    value: str | None = None   # a preset: the value every record of the field is given (MHCAT = PRIMARY DIAGNOSIS)
    note: str = ""             # the words written instead of the variable (the derivation of USUBJID)

    @property
    def domain(self) -> str:
        return self.dataset[4:] if self.dataset.startswith("SUPP") else self.dataset

    @property
    def test(self) -> str:
        """The --TESTCD value of a findings annotation, "" for any other."""
        return self.when[1] if self.when and self.when[0] == f"{self.dataset}TESTCD" else ""

    @property
    def text(self) -> str:
        if self.note:
            return self.note
        if self.qnam:
            return f"{self.variable} in {self.dataset}"
        if self.value is not None:
            return f"{self.variable} = {self.value}"
        if self.when:
            return f"{self.variable} when {self.when[0]} = {self.when[1]}"
        return self.variable

    @property
    def item(self) -> tuple[str, str]:
        """(dataset, variable) of the ItemDef that holds the value: QVAL for a supplemental qualifier."""
        return (self.dataset, "QVAL") if self.qnam else (self.dataset, self.variable)


def field_annotations(field: RawField, sdtm: Standard) -> list[Annotation]:
    """The annotations of one field, Target first, then Other Targets, then its presets; none for a field that is
    collected but not submitted."""
    out = []
    when = {dataset: (variable, value) for dataset, variable, value in map(parse_assignment, field.when)}
    test_dataset = field.target.partition(".")[0]
    for target in field.targets:
        dataset, _, name = target.partition(".")
        ds = sdtm[dataset]
        if name not in ds.names:  # check_targets has made sure it is then a QNAM of a SUPP-- dataset
            out.append(Annotation(dataset, name, qnam=True))
            continue
        testcd = test_code_variable(sdtm, dataset) if field.test_code and dataset == test_dataset else None
        # the result and its qualifiers (unit, status) carry the test; the test code itself does not
        if testcd and name != testcd:
            out.append(Annotation(dataset, name, (testcd, field.test_code)))
        elif dataset in when and name != when[dataset][0]:
            out.append(Annotation(dataset, name, when[dataset]))
        else:
            out.append(Annotation(dataset, name))
    out += [Annotation(dataset, variable, value=value) for dataset, variable, value in map(parse_assignment, field.preset)]
    return out


def book_annotations(forms: dict[str, RawForm], sdtm: Standard) -> dict[tuple[str, str], list[Annotation]]:
    """(form, field) -> its annotations, for the whole CRF book in order: the subject identifier is annotated
    on the first form that collects it, with USUBJID's derivation, and on no other."""
    out, identified = {}, False
    for form in forms.values():
        for f in form.fields:
            annotations = field_annotations(f, sdtm)
            if f.target == SUBJECT_ID:
                dataset = SUBJECT_ID.partition(".")[0]
                if identified:
                    annotations = [a for a in annotations if a.item != (dataset, "SUBJID")]
                else:
                    annotations.append(Annotation(dataset, "USUBJID", note=USUBJID_NOTE))
                identified = True
            out[(form.name, f.name)] = annotations
    return out


def is_identifier_repeat(field: RawField, annotations: list[Annotation]) -> bool:
    """A subject identifier on a form after the first: drawn without its annotation, with a note saying so."""
    return field.target == SUBJECT_ID and not annotations


def form_domains(form: RawForm, annotations: dict[tuple[str, str], list[Annotation]]) -> list[str]:
    """The domains a form's annotations name, in the order they first appear on the form."""
    seen: dict[str, None] = {}
    for f in form.fields:
        for a in annotations[(form.name, f.name)]:
            seen.setdefault(a.domain, None)
    return list(seen)


def domain_label(domain: str, sdtm: Standard) -> str:
    """"DM (Demographics)", the domain box's words."""
    ds = sdtm.datasets.get(domain)
    return f"{domain} ({ds.description})" if ds is not None else domain
