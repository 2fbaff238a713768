"""The numpy XPT v5 reader (submission/xport_reader.py) against pyreadstat, which it replaces in the
validator: the same names, labels, formats, lengths, encodings and values on the CDISC pilot (written
by SAS and R) and on every dataset convert writes; exact IBM conversion; ReadStat's reading of blank
rows, NUL bytes and special missing values; and the files it leaves to pyreadstat."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings, strategies as st

from cdisc_mirocals.submission.sasformat import normalise_format
from cdisc_mirocals.submission.xport import XptVariable, encode_xpt
from cdisc_mirocals.submission.xport_reader import Unsupported, read_xpt_file
from cdisc_mirocals.validate.distinct import factorise
from cdisc_mirocals.validate.readers import read_xpt

from conftest import REFERENCE
from test_xport import ibm_value  # exact rational value of an IBM word

PILOT_XPTS = sorted(REFERENCE.glob("cdiscpilot01_*/**/*.xpt"))
needs_pilot = pytest.mark.skipif(not PILOT_XPTS, reason="the CDISC pilot XPT files are not beside the project "
                                 "(../shared/reference/cdiscpilot01_*)")
STAMP = b"01JAN00:00:00:00"


def pyreadstat_read(path: Path):
    try:
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        return frame, meta, "utf-8"
    except (pyreadstat.ReadstatError, UnicodeDecodeError):
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True, encoding="windows-1252")
        return frame, meta, "windows-1252"


def assert_same_as_pyreadstat(path: Path) -> None:
    ours = read_xpt_file(path)
    frame, meta, encoding = pyreadstat_read(path)
    assert ours.encoding == encoding
    assert ours.name == meta.table_name and ours.label == (meta.file_label or "")
    assert [c.name for c in ours.columns] == list(meta.column_names)
    assert len(ours.frame) == len(frame) == meta.number_rows
    for c in ours.columns:
        assert c.label == (meta.column_names_to_labels[c.name] or ""), c.name
        assert c.format == normalise_format(meta.original_variable_types[c.name]), c.name
        assert c.length == meta.variable_storage_width[c.name], c.name
        theirs, mine = frame[c.name], ours.frame[c.name]
        if c.type == "num":
            assert theirs.dtype == mine.dtype == np.float64
            # bit for bit, NaN included (every SAS missing value is NaN in both)
            a, b = theirs.to_numpy(), mine.to_numpy()
            assert np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)]), c.name
        else:
            assert mine.tolist() == theirs.tolist(), c.name


@needs_pilot
@pytest.mark.parametrize("path", PILOT_XPTS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_the_cdisc_pilot_reads_as_pyreadstat_reads_it(path):
    assert_same_as_pyreadstat(path)


def test_every_dataset_convert_writes_reads_as_pyreadstat_reads_it(converted):
    files = sorted(converted.sdtm_dir.glob("*.xpt")) + sorted(converted.adam_dir.glob("*.xpt"))
    assert len(files) >= 20
    for path in files:
        assert_same_as_pyreadstat(path)


def test_text_columns_come_factorised_as_pandas_would_and_share_their_strings(converted):
    xpt = read_xpt_file(converted.sdtm_dir / "lb.xpt")
    text = [c.name for c in xpt.columns if c.type == "char"]
    assert set(xpt.factors) == set(text)
    for name in text:
        codes, uniques = xpt.factors[name]
        expected_codes, expected = factorise(xpt.frame[name])
        assert np.array_equal(codes, expected_codes) and list(uniques) == list(expected), name
        values = xpt.frame[name].to_numpy()
        assert len({id(v) for v in values}) == len(uniques), name  # one object per distinct text


def write(tmp_path: Path, frame: pd.DataFrame, variables) -> Path:
    path = tmp_path / "x.xpt"
    path.write_bytes(encode_xpt(frame, dataset_name="X", dataset_label="Lab", variables=variables, timestamp=STAMP))
    return path


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2 ** 64 - 1), min_size=1, max_size=40))
def test_any_ibm_double_reads_as_the_nearest_ieee_double(tmp_path_factory, words):
    """Raw IBM words, normalised or not: each value is its exact rational value rounded to a double,
    or NaN where the bytes are a SAS missing value ('.', '_' or a letter, then seven zero bytes)."""
    folder = tmp_path_factory.mktemp("ibm")
    path = write(folder, pd.DataFrame({"N": np.arange(len(words), dtype=float) + 1}), [XptVariable("N")])
    data = bytearray(path.read_bytes())
    start = len(data) - len(words) * 8 - (-len(words) * 8 % 80)
    for i, w in enumerate(words):
        data[start + 8 * i:start + 8 * i + 8] = w.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    got = read_xpt_file(path).frame["N"].to_numpy()
    ours_rows = len(got)
    assert ours_rows <= len(words)  # trailing words of blanks (0x2020...) read as padding, as ReadStat reads them
    for w, value in zip(words, got):
        first, rest = w >> 56, w & ((1 << 56) - 1)
        if rest == 0 and (first in (0x2E, 0x5F) or 0x41 <= first <= 0x5A):
            assert np.isnan(value)
        else:
            exact = ibm_value(w)
            assert value == float(exact) or (exact == 0 and value == 0), hex(w)
    frame, _ = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    assert len(frame) == ours_rows


def test_blank_rows_count_inside_the_data_and_pad_at_the_end(tmp_path):
    """v5 stores no row count: a row of blanks is a record when a record follows it, padding when none
    does, as ReadStat reads it (the writer refuses a dataset that would end in one)."""
    variables = [XptVariable("C", type="char", length=3)]
    path = write(tmp_path, pd.DataFrame({"C": ["A", "", "B"]}), variables)
    data = path.read_bytes()
    padded = data[: len(data) - 80] + (b"A  " + b" " * 3 + b"B  ").ljust(80) + b" " * 80
    path.write_bytes(padded)
    assert read_xpt_file(path).frame["C"].tolist() == ["A", "", "B"]
    assert_same_as_pyreadstat(path)


def test_text_ends_at_a_nul_byte_and_keeps_its_leading_blanks(tmp_path):
    variables = [XptVariable("C", type="char", length=6)]
    path = write(tmp_path, pd.DataFrame({"C": ["AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD"]}), variables)
    data = path.read_bytes()
    records = b"AB\x00CD " + b"AB\x00XY " + b"  lead" + b"x\x00    "
    start = len(data) - 80
    path.write_bytes(data[:start] + records.ljust(80))
    values = read_xpt_file(path).frame["C"].tolist()
    assert values == ["AB", "AB", "  lead", "x"]
    codes, uniques = read_xpt_file(path).factors["C"]
    assert list(uniques) == ["AB", "  lead", "x"] and codes.tolist() == [0, 0, 1, 2]
    assert_same_as_pyreadstat(path)


def test_windows_1252_text_is_read_as_such_and_said(tmp_path):
    variables = [XptVariable("C", type="char", length=8)]
    path = write(tmp_path, pd.DataFrame({"C": ["caf", "x"]}), variables)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"caf     ", b"caf\xe9    "))
    assert read_xpt_file(path).encoding == "windows-1252"
    assert read_xpt(path).notes == ["not valid UTF-8: read as windows-1252"]
    assert_same_as_pyreadstat(path)


def test_a_numeric_variable_shorter_than_8_bytes_is_left_to_pyreadstat(tmp_path):
    path = write(tmp_path, pd.DataFrame({"N": [1.0, 2.0]}), [XptVariable("N")])
    data = bytearray(path.read_bytes())
    namestr = 8 * 80
    assert struct.unpack(">h", data[namestr + 4:namestr + 6]) == (8,)
    data[namestr + 4:namestr + 6] = struct.pack(">h", 4)
    path.write_bytes(bytes(data))
    with pytest.raises(Unsupported):
        read_xpt_file(path)
    frame, _ = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    assert read_xpt(path).frame["N"].tolist() == frame["N"].tolist()  # the validator reads it as pyreadstat does


@pytest.mark.parametrize("damage", ["truncated header", "not XPT", "version 8"])
def test_a_file_it_cannot_read_is_left_to_pyreadstat(tmp_path, damage):
    path = write(tmp_path, pd.DataFrame({"N": [1.0]}), [XptVariable("N")])
    data = path.read_bytes()
    path.write_bytes({"truncated header": data[:300], "not XPT": b"x" * 1000,
                      "version 8": data.replace(b"LIBRARY HEADER", b"LIBV8   HEADER", 1)}[damage])
    with pytest.raises(Unsupported):
        read_xpt_file(path)
