"""OIDs of the define.xml elements: deterministic, readable, the same for the same specification.

| element | OID |
|---|---|
| Study | STDY.<STUDYID>, also the studyOID of every Dataset-JSON file |
| MetaDataVersion | MDV.<STUDYID>.<IG>.<version> (MDV.MIROCALS.SDTMIG.3.4), also Dataset-JSON's metaDataVersionOID |
| def:Standard | STD.SDTMIG, STD.ADAMIG, STD.CT.SDTM, STD.CT.ADAM, STD.CT.DEFINE-XML |
| ItemGroupDef | IG.<dataset> (IG.DM) |
| ItemDef | IT.<dataset>.<variable> (IT.DM.AGE) |
| ItemDef, value level | IT.<dataset>.<variable>.<where-clause values> (IT.LB.LBSTRESN.HGB.BLOOD) |
| def:ValueListDef | VL.<dataset>.<variable> |
| def:WhereClauseDef, value level | WC.<dataset>.<variable>.<values>[.<variable>.<values>...] (WC.LB.LBTESTCD.HGB.LBSPEC.BLOOD) |
| def:WhereClauseDef, ARM | WC.<analysis result ID without its AR. prefix>.<dataset> (WC.OS640.LOGRANK.ADTTE, as the CDISC ADaM example) |
| CodeList | CL.<codelist ID> (CL.NY) |
| MethodDef, def:CommentDef | the spec's ID (MT.AGE, COM.DM); codelist comments COM.CL.<codelist ID> |
| def:leaf | LF.<dataset> for datasets; the spec's document ID for documents |
| arm:ResultDisplay, arm:AnalysisResult | the spec's ID (RD..., AR...) |

Characters other than letters, digits, '.', '-' and '_' in a value (spaces, '<', '/') become '_'.
"""

from __future__ import annotations

import re

from cdisc_mirocals.spec import Condition

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _clean(value: str) -> str:
    return _UNSAFE.sub("_", value)


def study(studyid: str) -> str:
    return f"STDY.{_clean(studyid)}"


def metadata_version(studyid: str, ig_name: str, ig_version: str) -> str:
    return f"MDV.{_clean(studyid)}.{ig_name}.{_clean(ig_version)}"


def item_group(dataset: str) -> str:
    return f"IG.{dataset}"


def item(dataset: str, variable: str) -> str:
    return f"IT.{dataset}.{variable}"


def value_item(dataset: str, variable: str, where: tuple[Condition, ...]) -> str:
    return ".".join([item(dataset, variable)] + [_clean(v) for c in where for v in c.values])


def value_list(dataset: str, variable: str) -> str:
    return f"VL.{dataset}.{variable}"


def where_clause(dataset: str, where: tuple[Condition, ...]) -> str:
    parts = [f"{c.variable}.{'.'.join(_clean(v) for v in c.values)}" if c.comparator in ("EQ", "IN")
             else f"{c.variable}.{c.comparator}.{'.'.join(_clean(v) for v in c.values)}" for c in where]
    return ".".join([f"WC.{dataset}", *parts])


def arm_where_clause(result_id: str, dataset: str) -> str:
    return f"WC.{result_id.removeprefix('AR.')}.{dataset}"


def codelist(codelist_id: str) -> str:
    return f"CL.{_clean(codelist_id)}"


def codelist_comment(codelist_id: str) -> str:
    return f"COM.CL.{_clean(codelist_id)}"


def leaf(dataset: str) -> str:
    return f"LF.{dataset}"
