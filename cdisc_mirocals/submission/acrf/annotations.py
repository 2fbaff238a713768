"""What the annotated CRF writes beside each field, from specs/raw (each field's Target, Other Targets and Test
Code) and the SDTM specification, as the CDISC Metadata Submission Guidelines annotate:

- a variable of a domain: its name (`SEX`);
- a findings result: `VSORRES when VSTESTCD = WEIGHT`;
- a supplemental qualifier: `ONSETSIT in SUPPMH`;
- a field collected but not submitted: `NOT SUBMITTED`.

A form has a domain box for each domain its fields feed, a supplemental qualifier counting for its parent domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdisc_mirocals.spec import RawField, RawForm, Standard
from cdisc_mirocals.spec.raw import test_code_variable

NOT_SUBMITTED = "NOT SUBMITTED"


@dataclass(frozen=True)
class Annotation:
    """One SDTM variable (or QNAM) a field feeds."""

    dataset: str        # the dataset holding the value: SUPPMH for a QNAM of MH
    variable: str       # the variable, or the QNAM of a supplemental qualifier
    testcd: str = ""    # the --TESTCD variable of a findings result (VSTESTCD), with `test` its value
    test: str = ""
    qnam: bool = False

    @property
    def domain(self) -> str:
        return self.dataset[4:] if self.dataset.startswith("SUPP") else self.dataset

    @property
    def text(self) -> str:
        if self.qnam:
            return f"{self.variable} in {self.dataset}"
        if self.test:
            return f"{self.variable} when {self.testcd} = {self.test}"
        return self.variable

    @property
    def item(self) -> tuple[str, str]:
        """(dataset, variable) of the ItemDef that holds the value: QVAL for a supplemental qualifier."""
        return (self.dataset, "QVAL") if self.qnam else (self.dataset, self.variable)


def field_annotations(field: RawField, sdtm: Standard) -> list[Annotation]:
    """The annotations of one field, Target first; none for a field that is collected but not submitted."""
    out = []
    for target in field.targets:
        dataset, _, name = target.partition(".")
        ds = sdtm[dataset]
        if name not in ds.names:  # check_targets has made sure it is then a QNAM of a SUPP-- dataset
            out.append(Annotation(dataset, name, qnam=True))
            continue
        testcd = test_code_variable(sdtm, dataset) if field.test_code else None
        # the result and its qualifiers (unit, status) carry the test; the test code itself does not
        if testcd and name != testcd:
            out.append(Annotation(dataset, name, testcd, field.test_code))
        else:
            out.append(Annotation(dataset, name))
    return out


def form_domains(form: RawForm, sdtm: Standard) -> list[str]:
    """The domains a form's fields feed, in the order they first appear on the form."""
    seen: dict[str, None] = {}
    for f in form.fields:
        for a in field_annotations(f, sdtm):
            seen.setdefault(a.domain, None)
    return list(seen)


def domain_label(domain: str, sdtm: Standard) -> str:
    """"DM (Demographics)", the domain box's words."""
    ds = sdtm.datasets.get(domain)
    return f"{domain} ({ds.description})" if ds is not None else domain
