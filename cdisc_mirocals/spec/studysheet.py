"""The Study sheet of a P21 workbook and study.toml, both ways.

P21's Study sheet is a list of Attribute / Value pairs. StudyName, StudyDescription and ProtocolName are
P21's own and carry study.toml's study.studyid, study.title and study.protocol; every other value of
study.toml follows as one row, its Attribute the dotted TOML key (parameters.pnfh_threshold). A Type of
"text" gives the Value as it reads; "TOML" gives a TOML value (a number, a list, an inline table).
study.toml's comments are not carried: the workbook holds the values, not the notes beside them."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import tomllib
from typing import Any, Callable, Iterator

STUDY_COLUMNS = ["Attribute", "Value", "Type"]
P21_ATTRIBUTES = {"StudyName": "studyid", "StudyDescription": "title", "ProtocolName": "protocol"}
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    """One value as a TOML literal (tomllib reads it back to an equal value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"no TOML literal for {type(value).__name__}")


def _leaves(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        path = prefix + toml_key(key)
        if isinstance(value, dict) and value:
            yield from _leaves(value, path + ".")
        else:
            yield path, value


def study_rows(data: dict[str, Any]) -> list[list[str]]:
    """study.toml's values as Study sheet rows."""
    study = data.get("study", {})
    rows = [[attr, str(study[key]), "text"] for attr, key in P21_ATTRIBUTES.items() if isinstance(study.get(key), str)]
    taken = {f"study.{key}" for attr, key in P21_ATTRIBUTES.items() if isinstance(study.get(key), str)}
    for path, value in _leaves(data):
        if path not in taken:
            rows.append([path, value, "text"] if isinstance(value, str) else [path, toml_value(value), "TOML"])
    return rows


def _merge(into: dict[str, Any], new: dict[str, Any]) -> bool:
    """Deep-merge one row's nested dict; False when it sets a value that another row already set."""
    for key, value in new.items():
        if key not in into:
            into[key] = value
        elif isinstance(into[key], dict) and isinstance(value, dict) and value:
            if not _merge(into[key], value):
                return False
        else:
            return False
    return True


def study_data(rows: list[tuple[int, dict[str, str]]], fail: Callable[[int, str, str, str], None]) -> dict[str, Any]:
    """The Study sheet's rows back to study.toml's data; each bad row reported through `fail`."""
    data: dict[str, Any] = {}
    for line, row in rows:
        attr, value, kind = row.get("Attribute", ""), row.get("Value", ""), row.get("Type", "")
        if attr in P21_ATTRIBUTES:
            attr, kind = f"study.{P21_ATTRIBUTES[attr]}", "text"
        if kind not in ("text", "TOML"):
            fail(line, "Type", kind, "text (the Value as it reads) or TOML (a TOML value: number, list, table)")
            continue
        literal = json.dumps(value, ensure_ascii=False) if kind == "text" else value
        try:
            parsed = tomllib.loads(f"{attr} = {literal}")
        except tomllib.TOMLDecodeError as exc:
            column, expected = (("Value", f"a TOML value ({exc})") if kind == "TOML" and _key_ok(attr)
                                else ("Attribute", "StudyName, StudyDescription, ProtocolName or a study.toml "
                                                   "key as section.key (e.g. parameters.pnfh_threshold)"))
            fail(line, column, row.get(column, ""), expected)
            continue
        if "." not in attr and not isinstance(parsed[next(iter(parsed))], dict):
            fail(line, "Attribute", attr, "a study.toml key within its section, as section.key")
            continue
        if not _merge(data, parsed):
            fail(line, "Attribute", attr, "each study.toml key once")
    return data


def _key_ok(attr: str) -> bool:
    try:
        tomllib.loads(f"{attr} = 0")
        return True
    except tomllib.TOMLDecodeError:
        return False
