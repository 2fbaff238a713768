"""The generic standard models (SDTMIG 3.2, 3.3 and 3.4, ADaMIG 1.1, 1.2 and 1.3) and their CDISC codelists, read from the data
files in `standards/` (built by tools/build_standards.py). They let a folder nobody here specified be
checked: which variables a domain requires, expects or permits, in which order, of which type, and
which codelist each one takes."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

STANDARDS = {"sdtmig-3.4": ("SDTM", "sdtmig-3.4.json"), "sdtmig-3.3": ("SDTM", "sdtmig-3.3.json.gz"),
             "sdtmig-3.2": ("SDTM", "sdtmig-3.2.json.gz"), "adamig-1.3": ("ADaM", "adamig-1.3.json"),
             "adamig-1.2": ("ADaM", "adamig-1.2.json.gz"), "adamig-1.1": ("ADaM", "adamig-1.1.json.gz")}
LATEST = {"SDTM": "sdtmig-3.4", "ADaM": "adamig-1.3"}
# ADaMIG writes indexed variable names with lower-case placeholders: xx = 01-99, zz = 01-99, y and w = 1-9
_PLACEHOLDERS = {"xx": r"\d\d", "zz": r"\d\d", "y": r"[1-9]\d*", "w": r"[1-9]\d*"}


@dataclass(frozen=True)
class Codelist:
    code: str
    name: str
    submission: str  # the codelist's short name, e.g. SEX
    extensible: bool
    terms: tuple[tuple[str, str], ...]  # (NCI code, submission value)

    @property
    def values(self) -> frozenset[str]:
        return frozenset(v for _, v in self.terms)


@dataclass(frozen=True)
class ModelVariable:
    name: str  # the name in the domain (AESTDTC); for ADaM possibly a pattern (TRTxxP)
    label: str
    type: str  # Char | Num
    core: str  # Req | Exp | Perm | Cond
    order: int
    role: str
    codelists: tuple[str, ...]
    value_domain: str  # e.g. "ISO 8601 datetime or interval", "MedDRA"
    value: str  # a fixed value (DOMAIN's is the domain code)

    @property
    def pattern(self) -> re.Pattern:
        regex = self.name
        for holder, rx in _PLACEHOLDERS.items():
            regex = regex.replace(holder, rx)
        return re.compile(f"^{regex}$")

    @property
    def is_pattern(self) -> bool:
        return any(c.islower() for c in self.name)


@dataclass(frozen=True)
class DomainModel:
    name: str  # AE, SUPPQUAL, ADSL, BDS
    label: str
    cls: str
    structure: str
    variables: tuple[ModelVariable, ...]
    _exact: dict[str, ModelVariable] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self._exact.update({v.name: v for v in self.variables if not v.is_pattern})

    def find(self, name: str) -> ModelVariable | None:
        if name in self._exact:
            return self._exact[name]
        return next((v for v in self.variables if v.is_pattern and v.pattern.match(name)), None)

    def present(self, variable: ModelVariable, columns) -> list[str]:
        """The columns that are this model variable (several for an indexed ADaM name such as TRTxxP)."""
        if not variable.is_pattern:
            return [variable.name] if variable.name in columns else []
        return [c for c in columns if variable.pattern.match(c)]


@dataclass(frozen=True)
class StandardModel:
    key: str  # sdtmig-3.4
    family: str  # SDTM | ADaM
    name: str  # SDTMIG
    version: str
    domains: dict[str, DomainModel]
    ct: dict[str, Codelist]
    ct_releases: tuple[str, ...]

    def domain_for(self, dataset: str, domain: str = "", columns=()) -> DomainModel | None:
        """The model of a dataset: its own domain, SUPPQUAL for SUPP--, the parent domain of a split
        dataset (LBCH with DOMAIN = LB), ADSL, or BDS for an ADaM dataset with PARAMCD; None if unknown."""
        if self.family == "ADaM":
            if dataset == "ADSL":
                return self.domains["ADSL"]
            return self.domains["BDS"] if "PARAMCD" in columns else None
        if dataset in self.domains and dataset not in ("SUPPQUAL",):
            return self.domains[dataset]
        if dataset.startswith("SUPP") or dataset.startswith("SQAP"):
            return self.domains["SUPPQUAL"]
        if domain and dataset.startswith(domain) and domain in self.domains:
            return self.domains[domain]
        return None

    def codelist(self, codes: tuple[str, ...]) -> Codelist | None:
        """One codelist, or the union of several (DSDECOD takes three): extensible if any is."""
        found = [self.ct[c] for c in codes if c in self.ct]
        if not found:
            return None
        if len(found) == 1:
            return found[0]
        terms = tuple(t for cl in found for t in cl.terms)
        return Codelist("; ".join(cl.code for cl in found), " / ".join(cl.name for cl in found),
                        " | ".join(cl.submission for cl in found), any(cl.extensible for cl in found), terms)


def _read(name: str) -> bytes:
    return resources.files("cdisc_mirocals.validate").joinpath("standards", name).read_bytes()


@lru_cache(maxsize=1)
def _ct() -> dict:
    return json.loads(gzip.decompress(_read("ct.json.gz")))


def standard_key(family: str, version: str) -> str | None:
    """The model of an IG version (SDTM, '3.2' -> sdtmig-3.2), or None when none is vendored."""
    key = f"{'sdtmig' if family == 'SDTM' else 'adamig'}-{version.strip()}"
    return key if key in STANDARDS else None


@lru_cache(maxsize=8)
def load_model(key: str) -> StandardModel:
    if key not in STANDARDS:
        raise KeyError(f"unknown standard {key!r}; expected one of {', '.join(STANDARDS)}")
    family, file = STANDARDS[key]
    raw = _read(file)
    data = json.loads(gzip.decompress(raw) if file.endswith(".gz") else raw)
    parts = data["datasets"] if family == "SDTM" else data["structures"]
    domains = {}
    for name, d in parts.items():
        variables = tuple(ModelVariable(v["name"], v["label"], v["type"], v["core"], v["order"], v.get("role", v.get("set", "")),
                                        tuple(v["codelists"]), v["value_domain"], v["value"]) for v in d["variables"])
        domains[name] = DomainModel(name, d["label"], d["class"], d.get("structure", d.get("subclass", "")), variables)
    ct_parts = ("sdtm",) if family == "SDTM" else ("sdtm", "adam")
    ct = {code: Codelist(code, cl["name"], cl["submission"], cl["extensible"], tuple(tuple(t) for t in cl["terms"]))
          for part in ct_parts for code, cl in _ct()[part]["codelists"].items()}
    releases = tuple(f"{part.upper() if part == 'sdtm' else 'ADaM'} CT {_ct()[part]['release']}" for part in ct_parts)
    return StandardModel(key, family, data["standard"], data["version"], domains, ct, releases)
