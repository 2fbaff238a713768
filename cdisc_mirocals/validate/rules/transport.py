"""Transport: what SAS XPORT v5 and the FDA's technical conformance guide allow. Names of at most 8
characters, labels of at most 40, values of at most 200 bytes and plain ASCII, each variable no longer
than its longest value, files no larger than 5 GB and named after their dataset."""

from __future__ import annotations

import re

from cdisc_mirocals.validate.rules import Hit, rows, rule
from cdisc_mirocals.validate.distinct import per_value, byte_lengths

BOTH = ("SDTM", "ADaM")
NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")
MAX_BYTES = 200
FIVE_GB = 5 * 1024**3
# P21 limits SD1029 to the variables whose values become names or labels
SD1029_SUFFIXES = ("TESTCD", "TEST", "PARMCD", "PARM", "PARAMCD", "PARAM")
SD1029_NAMES = ("QNAM", "QLABEL")
NOT_PRINTABLE_ASCII = r"[^\x20-\x7e]"


def _char_columns(d):
    return [n for n, c in d.file.columns.items() if c.type == "Char"]


@rule("SD1474", "Error", "transport", BOTH)
def variable_name(study):
    for d in study.datasets.values():
        for name in d.file.columns:
            if not NAME.match(name):
                yield Hit(d.name, None, (name,), detail="at most 8 upper-case letters, digits or underscores, "
                                                        "starting with a letter")


@rule("SD1475", "Error", "transport", BOTH)
def variable_label(study):
    for d in study.datasets.values():
        for name, col in d.file.columns.items():
            if len(col.label) > 40:
                yield Hit(d.name, None, (name,), values=col.label, detail=f"{len(col.label)} characters")


@rule("SD1457", "Error", "transport", BOTH)
def dataset_name(study):
    for d in study.datasets.values():
        if not NAME.match(d.name):
            yield Hit(d.name, None, (), values=d.name, detail="at most 8 upper-case letters, digits or underscores")


@rule("MC0303", "Error", "transport", BOTH, message="Value is longer than 200 bytes",
      description="SAS XPORT v5 holds at most 200 bytes per character value (UTF-8 bytes, not characters); a "
                  "longer value must be split into SUPP-- records or shortened.", category="Limit",
      publisher=("FDAB018",))
def value_over_200_bytes(study):
    for d in study.datasets.values():
        if d.file.format == "XPT":  # XPT v5 cannot hold more: only Dataset-JSON can
            continue
        for name in _char_columns(d):
            bad = byte_lengths(d.frame[name], d.distinct) > MAX_BYTES
            if bad.any():
                yield Hit(d.name, rows(bad), (name,), values=d.frame[name][bad].str.slice(0, 60).to_numpy(),
                          detail=(byte_lengths(d.frame[name], d.distinct)[bad].astype(str) + " bytes").to_numpy())


def _non_ascii(d, names):
    for name in names:
        bad = per_value(d.frame[name], lambda u: u.astype(str).str.contains(NOT_PRINTABLE_ASCII, regex=True), d.distinct)
        if bad.any():
            yield Hit(d.name, rows(bad), (name,))


@rule("SD1029", "Error", "transport", BOTH)
def non_ascii_names_labels(study):
    for d in study.datasets.values():
        names = [n for n in _char_columns(d) if n in SD1029_NAMES or (d.prefix and n[len(d.prefix):] in SD1029_SUFFIXES)
                 or n in SD1029_SUFFIXES]
        yield from _non_ascii(d, names)


@rule("MC0304", "Warning", "transport", BOTH, message="Non-ASCII or non-printable characters in value",
      description="The FDA expects ASCII text in SAS transport files; characters outside ASCII 32-126 (accents, "
                  "curly quotes, tabs, line breaks) may be changed or lost by the reviewer's software.",
      category="Format", publisher=("TCG 3.3.5",))
def non_ascii_values(study):
    for d in study.datasets.values():
        names = [n for n in _char_columns(d) if not (n in SD1029_NAMES or n in SD1029_SUFFIXES
                                                       or (d.prefix and n[len(d.prefix):] in SD1029_SUFFIXES))]
        yield from _non_ascii(d, names)


@rule("SD1082", "Error", "transport", BOTH)
def length_fits_data(study):
    """Lengths sized to the longest value of the domain "prior to splitting" (P21): LBCH, LBHE and LBUR
    may all carry the length of LBTEST's longest value in any of them."""
    for group, parts in study.groups().items():
        longest: dict[str, int] = {}
        for d in parts:
            for name in _char_columns(d):
                here = int(byte_lengths(d.frame[name], d.distinct).max()) if len(d.frame) else 0
                longest[name] = max(longest.get(name, 0), here)
        for d in parts:
            if d.frame.empty:  # no data to fit (SD0001 reports the empty dataset)
                continue
            for name in _char_columns(d):
                length, most = d.file.columns[name].length, longest[name]
                if length and length > max(most, 1):
                    where = f" in {group}" if len(parts) > 1 else ""
                    yield Hit(d.name, None, (name,), values=str(length),
                              detail=f"length {length}, longest value{where} {most}")


@rule("SD1071", "Error", "transport", BOTH)
def file_size(study):
    for d in study.datasets.values():
        if d.file.size > FIVE_GB:
            yield Hit(d.name, None, (), values=str(d.file.size), detail=f"{d.file.size / 1024**3:.1f} GB")


@rule("MC0305", "Error", "transport", BOTH, message="File name does not match the dataset name",
      description="Each transport file is named after the dataset it holds, in lower case (dm.xpt holds DM).",
      category="Format")
def file_name(study):
    for d in study.datasets.values():
        if d.file.path.stem.lower() != d.name.lower():
            yield Hit(d.name, None, (), values=d.file.path.name, detail=f"the file holds {d.name}")

