"""Terminology beyond single codelists (those are schema checks): a code and its decode (--TESTCD and
--TEST, QNAM and QLABEL, PARAMCD and PARAM) one to one, and the same NCI code for a CDISC pair."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_mirocals.validate.context import as_text
from cdisc_mirocals.validate.rules import Hit, rows, rule, stacked

# (code suffix, decode suffix) pairs whose CDISC codelists share NCI term codes
CT_PAIRS = (("TESTCD", "TEST"), ("PARMCD", "PARM"))


def inconsistent(frame: pd.DataFrame, key: str, value: str) -> pd.Series:
    """Records whose `value` differs from the most frequent `value` of their `key` (so the odd one out is
    reported, not the majority; a tie goes to the value first in sort order); only records where both are
    populated count. Works on factorised codes, so 60,000 lab records cost milliseconds."""
    k_codes, k_uniques = pd.factorize(frame[key])
    v_codes, v_uniques = pd.factorize(frame[value], sort=True)
    both = frame[key].ne("").to_numpy() & frame[value].ne("").to_numpy() & (k_codes >= 0) & (v_codes >= 0)
    if not both.any():
        return pd.Series(False, index=frame.index)
    pairs = pd.DataFrame({"k": k_codes[both], "v": v_codes[both]}).value_counts().rename("n").reset_index()
    usual = (pairs.sort_values(["k", "n", "v"], ascending=[True, False, True], kind="stable")
             .drop_duplicates("k").set_index("k")["v"])
    expected = np.full(len(k_uniques), -1)
    expected[usual.index.to_numpy()] = usual.to_numpy()
    return pd.Series(both & (v_codes != expected[np.where(k_codes >= 0, k_codes, 0)]), index=frame.index)


def odd_ones_out(d, key: str, value: str):
    """A Hit on the records of d whose `value` is not the usual one of their `key`, if any."""
    bad = inconsistent(d.frame, key, value)
    if bad.any():
        yield Hit(d.name, rows(bad), (key, value), detail=f"another {value} is used for this {key}")


def _test_pairs(study, by_code: bool):
    """--TEST and --TESTCD one to one within a domain, a split domain's files together."""
    for group, parts in study.groups().items():
        parts = [d for d in parts if d.var("TESTCD") and d.var("TEST")]
        if not parts or len({d.prefix for d in parts}) > 1:
            continue
        code, decode = parts[0].var("TESTCD"), parts[0].var("TEST")
        key, value = (code, decode) if by_code else (decode, code)
        frame, back = stacked(parts, [code, decode])
        for d, found in back(inconsistent(frame, key, value)):
            yield Hit(d.name, found, (key, value), detail=f"another {value} is used for this {key} in {group}")


@rule("SD0040", "Error", "terminology")
def test_within_testcd(study):
    return _test_pairs(study, by_code=True)


@rule("SD1043", "Error", "terminology")
def testcd_within_test(study):
    return _test_pairs(study, by_code=False)


@rule("SD0046", "Error", "terminology")
def qlabel_within_qnam(study):
    for d in study.datasets.values():
        if d.model is not None and d.model.name == "SUPPQUAL" and d.has("QNAM", "QLABEL"):
            yield from odd_ones_out(d, "QNAM", "QLABEL")


@rule("CT2003", "Error", "terminology", ("SDTM", "ADaM"))
def code_decode_same_term(study):
    """A --TESTCD and its --TEST from CDISC codelists must be the same NCI term."""
    for d in study.datasets.values():
        if d.model is None:
            continue
        for code_suffix, decode_suffix in CT_PAIRS:
            code, decode = d.var(code_suffix), d.var(decode_suffix)
            if not code or not decode:
                continue
            code_cl = study.model.codelist(d.model.find(code).codelists) if d.model.find(code) else None
            decode_cl = study.model.codelist(d.model.find(decode).codelists) if d.model.find(decode) else None
            if code_cl is None or decode_cl is None:
                continue
            code_of = pd.Series(dict((v, c) for c, v in code_cl.terms))
            decode_of = pd.Series(dict((v, c) for c, v in decode_cl.terms))
            left, right = d.frame[code].map(code_of), d.frame[decode].map(decode_of)
            bad = left.notna() & right.notna() & left.ne(right)
            if bad.any():
                yield Hit(d.name, rows(bad), (code, decode),
                          detail=f"{code_cl.submission} and {decode_cl.submission} terms of different NCI codes")


# MedDRA coding: the same collected term, preferred term or system organ class coded one way
CODING_PAIRS = {"SD1440": ("TERM", "DECOD"), "SD1443": ("TERM", "BODSYS"), "SD1287": ("PTCD", "DECOD"),
                "SD1288": ("DECOD", "PTCD"), "SD1242": ("BDSYCD", "BODSYS"), "SD1243": ("BODSYS", "BDSYCD")}


def _coding_rule(rule_id: str, key_suffix: str, value_suffix: str):
    @rule(rule_id, "Warning", "terminology")
    def check(study):
        for d in study.observations():
            key, value = d.var(key_suffix), d.var(value_suffix)
            decod = d.model.find(f"{d.prefix}DECOD") if d.model is not None else None
            if decod is None or decod.value_domain != "MedDRA":  # DS and others code with CT, not MedDRA
                continue
            if key and value:  # codes may be numeric: compare them as text, missing as ""
                bad = inconsistent(pd.DataFrame({key: as_text(d.frame[key]), value: as_text(d.frame[value])}), key, value)
                if bad.any():
                    yield Hit(d.name, rows(bad), (key, value), detail=f"another {value} is used for this {key}")
    return check


for _id, (_key, _value) in CODING_PAIRS.items():
    _coding_rule(_id, _key, _value)
