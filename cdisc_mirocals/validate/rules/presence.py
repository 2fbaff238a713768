"""Presence and structure: the datasets every submission has, and each dataset's variables against
the generic model (required, expected, not in the model, order, type)."""

from __future__ import annotations

import bisect
from functools import lru_cache

import pandas as pd

from cdisc_mirocals.validate.model import load_model
from cdisc_mirocals.validate.rules import Hit, rows, rule

GENERAL_CLASSES = ("Interventions", "Events", "Findings", "Findings About")


def _missing_dataset(study, name: str):
    if study.get(name) is None:
        yield Hit(name, None, (), detail=f"the folder has no {name} dataset")


@rule("SD1020", "Reject", "presence")
def dm_missing(study):
    return _missing_dataset(study, "DM")


@rule("SD1115", "Reject", "presence")
def ts_missing(study):
    return _missing_dataset(study, "TS")


@rule("AD0001", "Reject", "presence", ("ADaM",))
def adsl_missing(study):
    return _missing_dataset(study, "ADSL")


@rule("SD0001", "Notice", "presence", ("SDTM", "ADaM"))
def no_records(study):
    for d in study.datasets.values():
        if d.frame.empty:
            yield Hit(d.name, None, (), detail="the dataset has no records")


def once_per_domain(study, found):
    """Dataset-level findings of a per-domain rule: `found(d)` yields (variable, detail) for one dataset; a
    variable found in every file of a split domain (LBCH, LBHE, LBUR) is one finding, on the first file, as
    P21 reports it once for LB."""
    for group, parts in study.groups().items():
        per_part = [(d, dict(found(d))) for d in parts]
        everywhere = set.intersection(*(set(f) for _, f in per_part)) if len(parts) > 1 else set()
        for i, (d, hits) in enumerate(per_part):
            for name, detail in hits.items():
                if name in everywhere and i:
                    continue
                where = f" (in every file of {group}: {', '.join(p.name for p in parts)})" if name in everywhere else ""
                yield Hit(d.name, None, (name,), detail=detail + where)


def _missing_variables(study, core: str):
    def found(d):
        if d.model is None:
            return
        for var in d.model.variables:
            if var.core == core and not d.model.present(var, d.frame.columns):
                yield var.name, f"{var.name} is {core} in {d.model.name} ({study.model.name} {study.model.version})"
    return once_per_domain(study, found)


@rule("SD0056", "Error", "presence")
def required_variable_missing(study):
    return _missing_variables(study, "Req")


@rule("SD0057", "Warning", "presence")
def expected_variable_missing(study):
    return _missing_variables(study, "Exp")


@rule("AD0047", "Error", "presence", ("ADaM",))
def adam_required_variable_missing(study):
    return _missing_variables(study, "Req")


@lru_cache(maxsize=16)
def class_variables(model_key: str, cls: str) -> frozenset[str]:
    """The generic names (--STRESC) of the variables that the domains of a general class define, and
    the timing variables of all general classes: a standard domain may add those (SD1076). A special-purpose
    domain (SE, SV) may add the timing variables (SESTDY, EPOCH in SV), as P21 counts them."""
    model = load_model(model_key)
    out = set()
    for dom in model.domains.values():
        if dom.cls not in GENERAL_CLASSES:
            continue
        for v in dom.variables:
            generic = "--" + v.name[2:] if v.name.startswith(dom.name) else v.name
            if dom.cls == cls or v.role == "Timing":
                out.add(generic)
    return frozenset(out)


def _not_in_model(study, datasets=None):
    """(dataset, variable, added as a class variable?) for every variable the domain's model lacks."""
    for d in datasets if datasets is not None else study.datasets.values():
        if d.model is None or d.model.name == "SUPPQUAL":
            continue
        allowed = class_variables(study.model.key, d.model.cls)
        for name in d.frame.columns:
            if d.model.find(name) is None:
                generic = "--" + name[len(d.prefix):] if d.prefix and name.startswith(d.prefix) else name
                yield d, name, generic in allowed


def _outside(study, d, added: bool):
    for data, name, class_variable in _not_in_model(study, [d]):
        if class_variable == added:
            yield name, (f"{name} comes from the {d.model.cls} class, not the {d.model.name} domain table" if added
                         else f"{name} is not a {d.model.name} variable of {study.model.name} {study.model.version}")


@rule("SD0058", "Warning", "presence")
def variable_not_in_model(study):
    return once_per_domain(study, lambda d: _outside(study, d, added=False))


@rule("SD1076", "Notice", "presence")
def class_variable_added(study):
    return once_per_domain(study, lambda d: _outside(study, d, added=True))


def out_of_order(orders: list[int]) -> list[int]:
    """Positions outside one longest increasing run of model orders: the fewest variables to move."""
    tails, tail_pos, parent = [], [], [-1] * len(orders)
    for i, o in enumerate(orders):
        k = bisect.bisect_left(tails, o)
        if k == len(tails):
            tails.append(o)
            tail_pos.append(i)
        else:
            tails[k], tail_pos[k] = o, i
        parent[i] = tail_pos[k - 1] if k else -1
    keep, i = set(), tail_pos[-1] if tail_pos else -1
    while i >= 0:
        keep.add(i)
        i = parent[i]
    return [i for i in range(len(orders)) if i not in keep]


@rule("SD1079", "Warning", "presence")
def variable_order(study):
    for d in study.datasets.values():
        if d.model is None:
            continue
        known = [(c, d.model.find(c).order) for c in d.frame.columns if d.model.find(c) is not None]
        for i in out_of_order([o for _, o in known]):
            name = known[i][0]
            yield Hit(d.name, None, (name,), detail=f"{name} is out of the model's order "
                                                    f"({', '.join(c for c, _ in known)})")


@rule("SD0055", "Error", "presence")
def model_type_mismatch(study):
    for d in study.datasets.values():
        if d.model is None:
            continue
        for name, col in d.file.columns.items():
            var = d.model.find(name)
            if var is not None and var.type in ("Char", "Num") and var.type != col.type:
                yield Hit(d.name, None, (name,), values=col.type,
                          detail=f"{name} is {col.type} in the data and {var.type} in {study.model.name}")


@rule("SD1476", "Warning", "presence")
def race_populated(study):
    dm = study.get("DM")
    if dm is not None and "RACE" in dm.frame:
        bad = ~dm.present("RACE")
        if bad.any():
            yield Hit("DM", rows(bad), ("RACE",))


def _ae_and_te_records(study):
    ae = study.get("AE")
    supp = study.get("SUPPAE")
    te = None
    if supp is not None and supp.has("QNAM", "IDVARVAL"):
        te = supp.frame[supp.frame["QNAM"].eq("AETRTEM")]
    return ae, supp, te


@rule("SD1321", "Warning", "presence")
def te_flag_without_suppae(study):
    ae, supp, te = _ae_and_te_records(study)
    if ae is not None and len(ae.frame) and (supp is None or te is None or te.empty):
        yield Hit("AE", None, (), detail="no SUPPAE records with QNAM = AETRTEM")


@rule("SD1097", "Warning", "presence")
def te_flag_per_ae(study):
    ae, supp, te = _ae_and_te_records(study)
    if ae is None or te is None or te.empty or "AESEQ" not in ae.frame:
        return
    flagged = pd.MultiIndex.from_arrays([te["USUBJID"], pd.to_numeric(te["IDVARVAL"], errors="coerce")])
    mine = pd.MultiIndex.from_arrays([ae.frame["USUBJID"], ae.frame["AESEQ"]])
    bad = ~pd.Series(mine.isin(flagged), index=ae.frame.index)
    if bad.any():
        yield Hit("AE", rows(bad), ("USUBJID", "AESEQ"), detail="no SUPPAE AETRTEM record for this AE")


@rule("SD1123", "Warning", "presence")
def result_when_not_done(study):
    for d in study.observations():
        stat, orres = d.var("STAT"), d.var("ORRES")
        if stat and orres:
            bad = d.frame[stat].eq("NOT DONE") & d.present(orres)
            if bad.any():
                yield Hit(d.name, rows(bad), (stat, orres))


@rule("SD0023", "Warning", "presence")
def stat_when_reasnd(study):
    for d in study.observations():
        stat, reasnd = d.var("STAT"), d.var("REASND")
        if stat and reasnd:
            bad = d.present(reasnd) & d.frame[stat].ne("NOT DONE")
            if bad.any():
                yield Hit(d.name, rows(bad), (reasnd, stat))
