"""The numpy XPT v5 writer: byte-identical to pyreadstat, to SAS's own observation records, and read
back alike by pyreadstat, pandas and R's haven; every pre-write check fires before a byte is written."""

import io
import shutil
import subprocess
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import example, given, settings, strategies as st

from cdisc_mirocals.submission import xport
from cdisc_mirocals.submission.sasformat import normalise_format, parse_format
from cdisc_mirocals.submission.xport import XptError, XptVariable, encode_xpt, to_ibm, write_xpt_file

from conftest import REFERENCE

STAMP = b"05MAR24:07:08:09"
PILOT = REFERENCE / "cdiscpilot01_tdf"
PILOT_XPTS = sorted(PILOT.glob("*/*.xpt")) if PILOT.is_dir() else []
needs_pilot = pytest.mark.skipif(not PILOT_XPTS, reason="../shared/reference/cdiscpilot01_tdf is absent")


# ---- helpers -------------------------------------------------------------------------------------

def pyreadstat_bytes(tmp_path: Path, frame: pd.DataFrame, name: str, label: str, variables) -> bytes:
    """What pyreadstat writes for the same frame and metadata (it sizes text columns itself)."""
    path = tmp_path / "pyreadstat.xpt"
    formats = {v.name: v.format for v in variables if v.format}
    pyreadstat.write_xport(frame[[v.name for v in variables]], str(path), file_label=label, table_name=name,
                           column_labels=[v.label for v in variables], file_format_version=5,
                           variable_format=formats or None)
    return without_informats(path.read_bytes())


def without_informats(data: bytes) -> bytes:
    """The file with every NAMESTR's informat fields blank. pyreadstat before 1.3.6 copies each format into
    the informat (name, width, decimals); SAS leaves it blank, as the CDISC pilot's files show, and so do
    pyreadstat 1.3.6 and later and our writer. Blank ones are left as they are, so ours are still checked."""
    start = data.index(b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!")
    count = int(data[start + 54:start + 58])
    out = bytearray(data)
    for i in range(count):
        at = start + 80 + i * 140
        out[at + 72:at + 84] = b" " * 8 + b"\x00" * 4
    return bytes(out)


def pyreadstat_length(series: pd.Series) -> int:
    """The width pyreadstat gives a text column: its longest value in bytes, at least 1."""
    return max([1] + [len(v.encode()) for v in series if isinstance(v, str)])


def same_as_pyreadstat(tmp_path, frame, name, label, variables) -> None:
    reference = pyreadstat_bytes(tmp_path, frame, name, label, variables)
    # pyreadstat stamps the current time; ours is an argument, so hand it the same one
    ours = encode_xpt(frame, dataset_name=name, dataset_label=label, variables=variables,
                      timestamp=reference[144:160])
    if ours != reference:
        bad = [i // 80 for i in range(0, max(len(ours), len(reference)), 80) if ours[i:i + 80] != reference[i:i + 80]]
        raise AssertionError(f"{name}: {len(ours)} bytes against pyreadstat's {len(reference)}; "
                             f"80-byte records that differ: {bad[:20]}")


def variables_from(meta, widths=None) -> list[XptVariable]:
    """XptVariables from pyreadstat's metadata of a file read back."""
    out = []
    for name, label in zip(meta.column_names, meta.column_labels):
        fmt = normalise_format(meta.original_variable_types.get(name))
        if meta.readstat_variable_types[name] == "string":
            length = widths[name] if widths else meta.variable_storage_width[name]
            out.append(XptVariable(name, label or "", "char", length, fmt))
        else:
            out.append(XptVariable(name, label or "", "num", 8, fmt))
    return out


def observation_area(data: bytes) -> bytes:
    return data[data.index(b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!") + 80:]


def namestrs(data: bytes) -> list[dict]:
    """The NAMESTR fields that carry metadata, decoded independently of any reader."""
    count = int(data[7 * 80 + 54:7 * 80 + 58])
    records = data[8 * 80:8 * 80 + 140 * count]
    out = []
    for i in range(count):
        r = records[i * 140:(i + 1) * 140]
        ntype, _, nlng, nvar0 = np.frombuffer(r[:8], ">i2")
        nfl, nfd = np.frombuffer(r[64:68], ">i2")
        out.append(dict(type=int(ntype), length=int(nlng), varnum=int(nvar0), name=r[8:16], label=r[16:56],
                        format=r[56:64], width=int(nfl), decimals=int(nfd),
                        position=int(np.frombuffer(r[84:88], ">i4")[0])))
    return out


def refused(tmp_path, frame, variables, name="DM", label="Demographics", timestamp=STAMP) -> XptError:
    """The writer's error, after checking that neither a path nor a file handle got a byte."""
    target = tmp_path / "refused.xpt"
    with pytest.raises(XptError) as by_path:
        write_xpt_file(target, frame, dataset_name=name, dataset_label=label, variables=variables, timestamp=timestamp)
    assert not target.exists()
    handle = io.BytesIO()
    with pytest.raises(XptError):
        write_xpt_file(handle, frame, dataset_name=name, dataset_label=label, variables=variables, timestamp=timestamp)
    assert handle.getvalue() == b""
    return by_path.value


# ---- the IBM double ------------------------------------------------------------------------------

def ibm_reference(x: float) -> int | None:
    """The IBM double of x by exact rational arithmetic, or None when no normalised one equals x.

    An IBM double is (-1)**s * F / 16**14 * 16**(E - 64), with a 56-bit fraction F whose leading hex
    digit is not 0 (16**13 <= F < 16**14) and a 7-bit exponent E. Search every E for the one whose
    F is a whole number in that range: no rounding is ever needed for a double in range.
    """
    if x == 0:
        return 0
    value = abs(Fraction(x))
    for exponent in range(128):
        fraction = value / Fraction(16) ** (exponent - 64 - 14)
        if fraction.denominator == 1 and 16 ** 13 <= fraction < 16 ** 14:
            return ((x < 0) << 63) | (exponent << 56) | int(fraction)
    return None


def ibm_value(word: int) -> Fraction:
    sign = -1 if word >> 63 else 1
    return sign * Fraction(word & ((1 << 56) - 1)) / Fraction(16) ** 14 * Fraction(16) ** ((word >> 56 & 0x7F) - 64)


EDGES = [0.0, -0.0, 1.0, -1.0, 0.1, -0.1, 1 / 3, np.pi, 1e-5, 16.0, 15.999999, 0.0625, 123456.789,
         2.0 ** 53, -(2.0 ** 53), 2.0 ** 53 - 1, 2.0 ** -260, -(2.0 ** -260), 1.5 * 2.0 ** -259, 5.5e-79,
         1e75, -1e75, 2.0 ** 248, float(np.nextafter(2.0 ** 249, 0)), 2.0 ** 249, 2.0 ** 251,
         float(np.nextafter(2.0 ** 252, 0)), 22000.0, 86399.999, 2e9, 1.7976931348623157e308, 5e-324,
         2.2250738585072014e-308, float(np.nextafter(2.0 ** -260, 0))]


@settings(max_examples=1500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
@example(0.0)
def test_ibm_conversion_matches_exact_arithmetic_for_any_double(x):
    expected = ibm_reference(x)
    if expected is None:
        with pytest.raises(ValueError, match="IBM double range"):
            to_ibm(np.array([x]))
    else:
        assert int(to_ibm(np.array([x]))[0]) == expected
        assert ibm_value(expected) == Fraction(x)  # exact: nothing rounded or truncated


@settings(max_examples=500, deadline=None)
@given(st.integers(min_value=-260, max_value=251), st.integers(min_value=0, max_value=(1 << 52) - 1),
       st.booleans())
def test_ibm_conversion_over_the_whole_ibm_exponent_range(exponent, mantissa, negative):
    x = float(Fraction((1 << 52) | mantissa, 1 << 52) * Fraction(2) ** exponent) * (-1 if negative else 1)
    assert int(to_ibm(np.array([x]))[0]) == ibm_reference(x)


def test_ibm_conversion_of_the_edge_values_and_missing():
    values = np.array(EDGES + [np.nan])
    in_range = [v for v in EDGES if ibm_reference(v) is not None]
    assert 2.0 ** 251 in in_range and 5e-324 not in in_range and 1.7976931348623157e308 not in in_range
    words = to_ibm(np.array(in_range + [np.nan]))
    assert [int(w) for w in words[:-1]] == [ibm_reference(v) for v in in_range]
    assert words[-1:].tobytes() == b".\0\0\0\0\0\0\0"  # SAS missing
    assert to_ibm(np.array([1.0])).tobytes() == bytes.fromhex("4110000000000000")  # TS-140's example of 1
    assert to_ibm(np.array([-0.0])).tobytes() == bytes(8)
    with pytest.raises(ValueError):
        to_ibm(values)


# ---- byte-identical to pyreadstat on hand-made frames --------------------------------------------

def _random_doubles(n: int, seed: int = 7) -> np.ndarray:
    """Doubles spread over every exponent pyreadstat converts correctly (2**-260 to below 2**249)."""
    rng = np.random.default_rng(seed)
    mantissa = 1 + rng.random(n)
    return np.ldexp(mantissa, rng.integers(-260, 249, n)) * rng.choice([-1, 1], n)


def _pyreadstat_range(values):
    return [v for v in values if v == 0 or 2.0 ** -260 <= abs(v) < 2.0 ** 249]


NUMBERS = pd.DataFrame({
    "X": _pyreadstat_range(EDGES) + [np.nan] * 3 + list(_random_doubles(len(EDGES) - 4)),
})
NUMBERS["ADT"] = np.where(np.arange(len(NUMBERS)) % 5 == 0, np.nan, 21000.0 + np.arange(len(NUMBERS)))
NUMBERS["ATM"] = np.linspace(0, 86399, len(NUMBERS))
NUMBERS["ADTM"] = 2.0e9 + np.arange(len(NUMBERS)) * 3600.5
NUMBERS["AVAL"] = np.round(np.linspace(-50, 50, len(NUMBERS)), 2)
NUMBERS["SEQ"] = np.arange(1.0, len(NUMBERS) + 1)
PUNCTUATION = "".join(chr(c) for c in range(32, 127))
TEXT = pd.DataFrame({
    "TERM": ["", " ", "x", "A" * 200, "  leading blanks", PUNCTUATION, "tab\tinside", None, "end"],
    "FLAG": ["Y", "", None, "N", "Y", "Y", None, "", "N"],
    "EMPTY": [""] * 9,
    "NONE": [None] * 8 + [""],
    "CODE": ["$CHAR", "B", "C", "D", "E", "F", "G", "H", "I"],
})

HAND_MADE = {
    "numbers": (NUMBERS, "ADNUM", "Numbers at the edges of IBM doubles", [
        XptVariable("X", "Any double in range"), XptVariable("ADT", "Analysis Date", format="DATE9."),
        XptVariable("ATM", "Analysis Time", format="TIME8."),
        XptVariable("ADTM", "Analysis Datetime", format="DATETIME20."),
        XptVariable("AVAL", "Analysis Value", format="8.2"), XptVariable("SEQ", "", format="BEST12."),
    ]),
    "text": (TEXT, "TX", "", [
        XptVariable("TERM", "Reported Term", "char", 200, "$200."), XptVariable("FLAG", "Flag", "char", 1),
        XptVariable("EMPTY", "All blank", "char", 1), XptVariable("NONE", "All missing", "char", 1),
        XptVariable("CODE", "L" * 40, "char", 5, "$CHAR5."),
    ]),
    "record of exactly 80 bytes": (pd.DataFrame({f"N{i}": np.arange(7.0) * i for i in range(10)}), "A", "x" * 40,
                                   [XptVariable(f"N{i}") for i in range(10)]),
    "record of 81 bytes": (pd.DataFrame({"N": np.arange(5.0), "C": ["a" * 73, "b", "", "c", "d"]}), "A_B1234Z", "81",
                           [XptVariable("N"), XptVariable("C", type="char", length=73)]),
    "one-byte records": (pd.DataFrame({"C": list("abcdefghijklmnopqrstuvwxyz")}), "Z", "Letters",
                         [XptVariable("C", "Letter", "char", 1)]),
    "no rows": (pd.DataFrame({"N": pd.Series([], dtype=float), "C": pd.Series([], dtype=object)}), "EMPTY", "",
                [XptVariable("N", format="DATE9."), XptVariable("C", type="char", length=1)]),
}


@pytest.mark.parametrize("case", HAND_MADE)
def test_hand_made_frames_are_byte_identical_to_pyreadstat(case, tmp_path):
    frame, name, label, variables = HAND_MADE[case]
    for v in variables:
        if v.type == "char":
            assert v.length == pyreadstat_length(frame[v.name]), v.name
    same_as_pyreadstat(tmp_path, frame, name, label, variables)


def test_blocks_of_rows_join_into_the_same_file(monkeypatch):
    frame, name, label, variables = HAND_MADE["text"]
    frame = pd.concat([frame] * 50, ignore_index=True)
    whole = encode_xpt(frame, dataset_name=name, dataset_label=label, variables=variables, timestamp=STAMP)
    monkeypatch.setattr(xport, "BLOCK_BYTES", 1000)  # 4 rows a block, and a short last one
    assert encode_xpt(frame, dataset_name=name, dataset_label=label, variables=variables, timestamp=STAMP) == whole
    handle = io.BytesIO()
    assert write_xpt_file(handle, frame, dataset_name=name, dataset_label=label, variables=variables,
                          timestamp=STAMP) == len(whole)
    assert handle.getvalue() == whole


def test_pandas_string_categorical_and_nullable_columns_encode_like_plain_ones():
    plain = pd.DataFrame({"C": ["b", "", "a", "b"], "N": [1.0, np.nan, 3.0, 4.0]})
    variables = [XptVariable("C", type="char", length=1), XptVariable("N")]
    kw = dict(dataset_name="T", dataset_label="", variables=variables, timestamp=STAMP)
    expected = encode_xpt(plain, **kw)
    for frame in (
        pd.DataFrame({"C": pd.array(["b", pd.NA, "a", "b"], dtype="string"), "N": pd.array([1, None, 3, 4], "Int64")}),
        pd.DataFrame({"C": pd.Categorical(["b", None, "a", "b"]), "N": pd.array([1.0, None, 3.0, 4.0], "Float64")}),
        pd.DataFrame({"N": plain["N"].astype("float32"), "C": plain["C"]}),  # column order comes from variables
    ):
        assert encode_xpt(frame, **kw) == expected


def test_same_inputs_give_identical_bytes_and_the_timestamp_is_the_argument():
    frame, name, label, variables = HAND_MADE["numbers"]
    kw = dict(dataset_name=name, dataset_label=label, variables=variables)
    a = encode_xpt(frame, **kw, timestamp=datetime(2024, 3, 5, 7, 8, 9))
    assert a == encode_xpt(frame.copy(), **kw, timestamp=STAMP)
    assert [i for i in range(0, 8 * 80, 80) if STAMP in a[i:i + 80]] == [80, 160, 400, 480]
    assert a.count(STAMP) == 4


# ---- the default simulated study and the CDISC pilot ---------------------------------------------

@pytest.fixture(scope="session")
def study_xpts(converted):
    files = sorted(converted.sdtm_dir.glob("*.xpt")) + sorted(converted.adam_dir.glob("*.xpt"))
    assert len(files) >= 20
    return files


def test_every_study_dataset_is_the_file_pyreadstat_writes_from_the_same_data(study_xpts, tmp_path):
    """convert writes with this module: pyreadstat, handed the values and metadata read back, writes
    the same bytes (its header timestamp aside)."""
    for path in study_xpts:
        original = path.read_bytes()
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        reference = pyreadstat_bytes(tmp_path, frame, meta.table_name, meta.file_label or "", variables_from(meta))
        stamp = reference[144:160]
        assert original.replace(original[144:160], stamp) == reference, path.name


@needs_pilot
@pytest.mark.parametrize("path", [p for p in PILOT_XPTS if p.name != "ts.xpt"],  # ts.xpt: see below
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cdisc_pilot_datasets_match_pyreadstat_and_the_sas_observation_records(path, tmp_path):
    original = path.read_bytes()
    frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    # 1. pyreadstat sizes each text column to its longest value
    widths = {c: pyreadstat_length(frame[c]) for c in frame.columns if frame[c].dtype == object}
    same_as_pyreadstat(tmp_path, frame, meta.table_name, meta.file_label or "", variables_from(meta, widths))
    # 2. with the declared lengths, the observations are those SAS (or R's SASxport) wrote, byte for byte
    variables = variables_from(meta)
    ours = encode_xpt(frame, dataset_name=meta.table_name, dataset_label=meta.file_label or "",
                      variables=variables, timestamp=original[144:160])
    assert observation_area(ours) == observation_area(original)
    keys = ("type", "length", "varnum", "name", "label", "position")
    assert [{k: d[k] for k in keys} for d in namestrs(ours)] == [{k: d[k] for k in keys} for d in namestrs(original)]
    for mine, theirs in zip(namestrs(ours), namestrs(original)):
        if theirs["format"].strip(b" \0") not in (b"", b"$"):  # SAS's blank and $ names say 'no format'
            assert (mine["format"], mine["width"], mine["decimals"]) == \
                   (theirs["format"], theirs["width"], theirs["decimals"])


@needs_pilot
def test_pilot_ts_with_a_windows_1252_quote_is_refused_until_transliterated(tmp_path):
    """ts.xpt has byte 0x92 (Windows-1252 for U+2019) in "Alzheimer's". XPT v5 text is ASCII, so the
    writer refuses the decoded text with the row and value, and accepts it once transliterated upstream."""
    path = PILOT / "sdtm" / "ts.xpt"
    original = path.read_bytes()
    frame, meta = pyreadstat.read_xport(str(path), encoding="windows-1252")
    variables = variables_from(meta)
    with pytest.raises(XptError) as caught:
        encode_xpt(frame, dataset_name="TS", dataset_label=meta.file_label or "", variables=variables,
                   timestamp=STAMP)
    hits = [(i, v) for c in frame.columns if frame[c].dtype == object for i, v in enumerate(frame[c]) if "\u2019" in v]
    assert hits and len(caught.value.violations) == len(hits)
    first = caught.value.violations[0]
    assert (first.dataset, first.row, first.value) == ("TS", hits[0][0] + 1, hits[0][1])
    assert "non-ASCII character '\u2019' (U+2019)" in first.message
    # read as Latin-1 the same byte is U+0092, refused all the same
    latin1, _ = pyreadstat.read_xport(str(path), encoding="latin1")
    with pytest.raises(XptError, match="U\\+0092"):
        encode_xpt(latin1, dataset_name="TS", dataset_label="", variables=variables, timestamp=STAMP)
    clean = frame.apply(lambda c: c.str.replace("\u2019", "'") if c.dtype == object else c)
    ours = encode_xpt(clean, dataset_name="TS", dataset_label=meta.file_label or "", variables=variables,
                      timestamp=original[144:160])
    assert observation_area(ours) == observation_area(original).replace(b"\x92", b"'")


# ---- read back by three readers ------------------------------------------------------------------

def pandas_zero() -> float:
    """What pandas.read_sas gives for an IBM zero: 2**-260 in pandas <= 2.3 (pandas issue #50670),
    since it decodes the all-zero word through the general formula."""
    data = encode_xpt(pd.DataFrame({"Z": [0.0]}), dataset_name="Z", dataset_label="", variables=[XptVariable("Z")],
                      timestamp=STAMP)
    return float(pd.read_sas(io.BytesIO(data), format="xport")["Z"].iloc[0])


def assert_frames_equal(expected: pd.DataFrame, actual: pd.DataFrame, variables, zero: float = 0.0) -> None:
    assert list(actual.columns) == [v.name for v in variables]
    for v in variables:
        got = actual[v.name]
        if v.type == "num":
            want = expected[v.name].to_numpy(np.float64)
            want = np.where(want == 0, zero, want)
            np.testing.assert_array_equal(got.to_numpy(np.float64), want, err_msg=v.name)
        else:
            want = expected[v.name].fillna("").str.rstrip()  # SAS text is blank-padded
            assert got.tolist() == want.tolist(), v.name


READBACK = {k: HAND_MADE[k] for k in ("numbers", "text", "record of 81 bytes", "one-byte records")}
# pandas counts the rows of a file whose records are at most 80 bytes from the blank 8-byte words of
# its last 80 bytes (pandas/io/sas/sas_xport.py, _record_count), so it reads 26 one-byte rows as 32.
PANDAS_MISCOUNTS = pytest.mark.xfail(strict=True, raises=AssertionError,
                                     reason="pandas miscounts records shorter than 80 bytes")


def write_case(case, tmp_path) -> tuple[Path, pd.DataFrame, list]:
    frame, name, label, variables = READBACK[case]
    path = tmp_path / "t.xpt"
    write_xpt_file(path, frame, dataset_name=name, dataset_label=label, variables=variables, timestamp=STAMP)
    return path, frame, variables


@pytest.mark.parametrize("case", READBACK)
def test_pyreadstat_reads_back_the_values_and_metadata(case, tmp_path):
    path, frame, variables = write_case(case, tmp_path)
    back, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    assert_frames_equal(frame, back, variables)
    assert [x or "" for x in meta.column_labels] == [v.label for v in variables]
    assert [normalise_format(meta.original_variable_types.get(v.name)) for v in variables] == [v.format for v in variables]
    assert (meta.table_name, meta.file_label or "") == READBACK[case][1:3]


@pytest.mark.parametrize("case", [pytest.param(c, marks=PANDAS_MISCOUNTS) if c == "one-byte records" else c
                                  for c in READBACK])
def test_pandas_reads_back_the_values(case, tmp_path):
    path, frame, variables = write_case(case, tmp_path)
    assert_frames_equal(frame, pd.read_sas(path, format="xport", encoding="ascii"), variables, pandas_zero())


def test_the_study_reads_back_alike_with_pyreadstat_and_pandas(study_xpts, tmp_path):
    zero = pandas_zero()
    for path in study_xpts:
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        variables = variables_from(meta)
        ours = tmp_path / path.name
        write_xpt_file(ours, frame, dataset_name=meta.table_name, dataset_label=meta.file_label or "",
                       variables=variables, timestamp=STAMP)
        assert_frames_equal(frame, pyreadstat.read_xport(str(ours), disable_datetime_conversion=True)[0], variables)
        assert_frames_equal(frame, pd.read_sas(ours, format="xport", encoding="ascii"), variables, zero)


HAVEN = r"""
suppressMessages(library(haven))
args <- commandArgs(trailingOnly = TRUE)
for (i in seq(1, length(args), by = 2)) {
  d <- read_xpt(args[i])
  meta <- data.frame(name = names(d), check.names = FALSE,
    class = vapply(d, function(x) class(x)[1], ""),
    label = vapply(d, function(x) { l <- attr(x, "label"); if (is.null(l)) "" else l }, ""),
    format = vapply(d, function(x) { f <- attr(x, "format.sas"); if (is.null(f)) "" else f }, ""))
  # numbers as exact hexadecimal floats; dates and times as haven gives them (days or seconds from 1970)
  for (n in names(d)) if (!is.character(d[[n]])) {
    v <- as.numeric(d[[n]]); d[[n]] <- ifelse(is.na(v), "", sprintf("%a", v))
  }
  write.csv(as.data.frame(d), paste0(args[i + 1], ".values.csv"), row.names = FALSE, na = "")
  write.csv(meta, paste0(args[i + 1], ".meta.csv"), row.names = FALSE)
}
"""
# haven moves SAS dates and datetimes from the 1960 to the 1970 epoch
HAVEN_OFFSET = {"Date": 3653.0, "POSIXct": 315619200.0, "hms": 0.0, "numeric": 0.0}


def read_with_haven(paths: list[Path], tmp_path: Path) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    script = tmp_path / "haven.R"
    script.write_text(HAVEN)
    args = [a for p in paths for a in (str(p), str(tmp_path / p.stem))]
    subprocess.run(["Rscript", str(script), *args], check=True, capture_output=True, timeout=600)
    out = []
    for p in paths:
        values = pd.read_csv(tmp_path / f"{p.stem}.values.csv", dtype=str, keep_default_na=False)
        meta = pd.read_csv(tmp_path / f"{p.stem}.meta.csv", dtype=str, keep_default_na=False)
        out.append((values, meta))
    return out


def assert_haven_agrees(frame, variables, values, meta):
    assert meta["name"].tolist() == [v.name for v in variables]
    assert meta["label"].tolist() == [v.label for v in variables]
    assert [normalise_format(f) for f in meta["format"]] == [v.format for v in variables]
    for v, cls in zip(variables, meta["class"]):
        if v.type == "num":
            got = np.array([float.fromhex(x) if x else np.nan for x in values[v.name]])
            want = frame[v.name].to_numpy(np.float64) - HAVEN_OFFSET[cls]
            np.testing.assert_array_equal(got, want, err_msg=v.name)
        else:
            assert values[v.name].tolist() == frame[v.name].fillna("").str.rstrip().tolist(), v.name


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (apt-get install r-base-core r-cran-haven)")
def test_haven_reads_back_the_values_labels_and_formats(study_xpts, tmp_path):
    if subprocess.run(["Rscript", "-e", "library(haven)"], capture_output=True).returncode:
        pytest.skip("R's haven is not installed (apt-get install r-cran-haven)")
    cases = []
    for key, (frame, name, label, variables) in READBACK.items():
        cases.append((frame, variables, tmp_path / f"{name.lower()}_{len(cases)}.xpt", name, label))
    for path in study_xpts:
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        cases.append((frame, variables_from(meta), tmp_path / path.name, meta.table_name, meta.file_label or ""))
    for frame, variables, path, name, label in cases:
        write_xpt_file(path, frame, dataset_name=name, dataset_label=label, variables=variables, timestamp=STAMP)
    for (frame, variables, path, *_), (values, meta) in zip(cases, read_with_haven([c[2] for c in cases], tmp_path)):
        assert_haven_agrees(frame, variables, values, meta)


# ---- where pyreadstat departs from TS-140 --------------------------------------------------------

def test_finite_values_from_2_to_the_249_are_written_as_ibm_doubles_not_as_infinity(tmp_path):
    """IBM doubles reach 16**63 = 2**252, but ReadStat's ieee2xpt (after the sample code in TS-140)
    stops at binary exponent 248 and writes 0x7FFFFFFFFFFFFFFF above it, which its reader takes for
    infinity: pyreadstat turns 2**250 into inf. Our writer stores the exact IBM double, and both readers
    get the value back."""
    values = [2.0 ** 249, -(2.0 ** 250), float(np.nextafter(2.0 ** 252, 0)), 1e75]
    frame = pd.DataFrame({"BIG": values})
    variables = [XptVariable("BIG")]
    path = tmp_path / "ours.xpt"
    write_xpt_file(path, frame, dataset_name="BIG", dataset_label="", variables=variables, timestamp=STAMP)
    assert observation_area(path.read_bytes())[:8] == bytes.fromhex("7F20000000000000")  # 2/16 * 16**63
    np.testing.assert_array_equal(pyreadstat.read_xport(str(path))[0]["BIG"], values)
    np.testing.assert_array_equal(pd.read_sas(path, format="xport")["BIG"], values)
    theirs = pyreadstat_bytes(tmp_path, frame, "BIG", "", variables)
    assert observation_area(theirs)[:8] == bytes.fromhex("7FFFFFFFFFFFFFFF")
    assert pyreadstat.read_xport(str(tmp_path / "pyreadstat.xpt"))[0]["BIG"].tolist()[:3] == [np.inf, -np.inf, np.inf]


def test_values_below_the_ibm_range_are_refused_where_pyreadstat_writes_zero(tmp_path):
    frame = pd.DataFrame({"TINY": [2.0 ** -261, -1e-300, 5e-324]})
    theirs = pyreadstat_bytes(tmp_path, frame, "T", "", [XptVariable("TINY")])
    assert observation_area(theirs)[:24] == bytes(24)  # silently 0
    error = refused(tmp_path, frame, [XptVariable("TINY")])
    assert [(v.row, v.value) for v in error.violations] == [(1, 2.0 ** -261), (2, -1e-300), (3, 5e-324)]
    assert "outside the IBM double range" in error.violations[0].message


def test_trailing_blank_rows_are_refused_as_readers_drop_them(tmp_path):
    """XPT v5 has no row count and pads the last record with blanks, so a reader cannot tell blank
    rows at the end from padding: pyreadstat writes them, and reading back loses them."""
    frame = pd.DataFrame({"C": ["a", "", "b", "", ""]})
    variables = [XptVariable("C", type="char", length=100)]
    pyreadstat_bytes(tmp_path, frame, "T", "", variables)
    assert len(pyreadstat.read_xport(str(tmp_path / "pyreadstat.xpt"))[0]) == 3  # two rows lost
    error = refused(tmp_path, frame, variables, name="T")
    assert [(v.variable, v.row) for v in error.violations] == [(None, 4), (None, 5)]
    assert "readers take trailing blank records for padding" in error.violations[0].message
    long_run = pd.DataFrame({"C": ["a"] + [""] * 300})
    assert [v.row for v in refused(tmp_path, long_run, variables, name="T").violations] == list(range(2, 302))
    # a numeric variable makes no row blank: missing is '.', zero is binary zeros
    frame = frame.assign(N=np.nan)
    encode_xpt(frame, dataset_name="T", dataset_label="", variables=variables + [XptVariable("N")], timestamp=STAMP)


# ---- fault injection: every check, its message, and no file ---------------------------------------

GOOD = pd.DataFrame({"USUBJID": ["01-001", "01-002"], "AGE": [61.0, 70.0]})
GOOD_VARS = [XptVariable("USUBJID", "Unique Subject Identifier", "char", 6), XptVariable("AGE", "Age")]


def test_the_good_frame_is_written(tmp_path):
    path = tmp_path / "dm.xpt"
    n = write_xpt_file(path, GOOD, dataset_name="DM", dataset_label="Demographics", variables=GOOD_VARS,
                       timestamp=STAMP)
    assert path.stat().st_size == n == 8 * 80 + 2 * 140 + 40 + 80 + 80


@pytest.mark.parametrize("bad_name", ["DEMOGRAPH", "dm", "1DM", "D-M", "", "DÉ"])
def test_bad_dataset_names_are_refused(bad_name, tmp_path):
    error = refused(tmp_path, GOOD, GOOD_VARS, name=bad_name)
    assert "dataset name must be 1-8 characters, upper-case letters, digits and underscore" in str(error)
    assert error.violations[0].value == bad_name


@pytest.mark.parametrize("bad_name", ["USUBJIDXX", "age", "_AGE", "AGE 2", "9AGE"])
def test_bad_variable_names_are_refused(bad_name, tmp_path):
    frame = GOOD.rename(columns={"AGE": bad_name})
    error = refused(tmp_path, frame, [GOOD_VARS[0], XptVariable(bad_name, "Age")])
    assert [(v.variable, v.value) for v in error.violations] == [(bad_name, bad_name)]
    assert "variable name must be 1-8 characters" in error.violations[0].message


def test_long_and_non_ascii_labels_are_refused(tmp_path):
    variables = [XptVariable("USUBJID", "L" * 41, "char", 6), XptVariable("AGE", "Âge")]
    error = refused(tmp_path, GOOD, variables, label="D" * 41)
    messages = [(v.variable, v.message) for v in error.violations]
    assert (None, "dataset label is 41 characters; XPT v5 allows at most 40") in messages
    assert ("USUBJID", "variable label is 41 characters; XPT v5 allows at most 40") in messages
    assert any(var == "AGE" and "non-ASCII character 'Â' (U+00C2) at position 1" in m for var, m in messages)
    assert len(messages) == 3
    assert "non-ASCII" in str(refused(tmp_path, GOOD, GOOD_VARS, label="Démographie"))


def test_a_201_byte_value_is_refused_even_when_declared_200(tmp_path):
    frame = pd.DataFrame({"AETERM": ["HEADACHE", "X" * 201, "Y" * 200]})
    error = refused(tmp_path, frame, [XptVariable("AETERM", "Reported Term", "char", 200)], name="AE")
    (v,) = error.violations
    assert (v.dataset, v.variable, v.row, v.value) == ("AE", "AETERM", 2, "X" * 201)
    assert v.message == "value is 201 bytes; XPT v5 allows at most 200"
    assert "AE.AETERM row 2: value is 201 bytes" in str(error)


def test_values_longer_than_the_declared_length_are_refused_not_truncated(tmp_path):
    error = refused(tmp_path, GOOD, [XptVariable("USUBJID", "Id", "char", 5), GOOD_VARS[1]])
    assert [(v.row, v.value, v.message) for v in error.violations] == [
        (1, "01-001", "value is 6 bytes, longer than the declared length 5"),
        (2, "01-002", "value is 6 bytes, longer than the declared length 5")]


def test_non_ascii_and_nul_values_are_refused(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["01-001", "Müller – café", "ok", "a\x00b"], "AGE": [1.0, 2.0, 3.0, 4.0]})
    error = refused(tmp_path, frame, [XptVariable("USUBJID", "Id", "char", 20), GOOD_VARS[1]])
    assert [(v.row, v.value) for v in error.violations] == [(2, "Müller – café"), (4, "a\x00b")]
    assert error.violations[0].message.startswith("non-ASCII character 'ü' (U+00FC) at position 2")
    assert "transliterate upstream" in error.violations[0].message
    assert error.violations[1].message.startswith("NUL character at position 2")


@pytest.mark.parametrize("fmt, problem", [
    ("DATE9", "expected a SAS format"), ("date9.", "expected a SAS format"), ("DATE 9.", "expected a SAS format"),
    ("ABCDEFGHI9.", "longer than the 8 characters"), (".", "needs a width"), ("8.8", "do not fit in width 8"),
    ("$8.", "is for character values, and AGE is num"),
])
def test_bad_formats_are_refused(fmt, problem, tmp_path):
    error = refused(tmp_path, GOOD, [GOOD_VARS[0], XptVariable("AGE", "Age", format=fmt)])
    (v,) = error.violations
    assert v.variable == "AGE" and problem in v.message and fmt in v.message


def test_a_numeric_format_on_text_is_refused(tmp_path):
    error = refused(tmp_path, GOOD, [XptVariable("USUBJID", "Id", "char", 6, "DATE9."), GOOD_VARS[1]])
    assert error.violations[0].message == "format DATE9. is for numeric values, and USUBJID is char"


def test_duplicate_and_unmatched_variables_are_refused(tmp_path):
    frame = GOOD.assign(EXTRA=1.0)
    error = refused(tmp_path, frame, [GOOD_VARS[0], GOOD_VARS[1], XptVariable("AGE", "Again"),
                                      XptVariable("SEX", "Sex", "char", 1)])
    messages = {(v.variable, v.message) for v in error.violations}
    assert ("AGE", "variable defined 2 times") in messages
    assert ("EXTRA", "column of the frame has no variable definition (it would be dropped)") in messages
    assert ("SEX", "variable has no column in the frame") in messages


@pytest.mark.parametrize("value, message", [
    (np.inf, "infinite values have no SAS representation"), (-np.inf, "infinite values have no SAS representation"),
    (1e300, "outside the IBM double range"), (1e-300, "outside the IBM double range"),
])
def test_numbers_without_an_xpt_representation_are_refused(value, message, tmp_path):
    frame = GOOD.assign(AGE=[61.0, value])
    (v,) = refused(tmp_path, frame, GOOD_VARS).violations
    assert (v.variable, v.row, v.value) == ("AGE", 2, value) and message in v.message


def test_integers_beyond_2_to_the_53_and_wrong_types_are_refused(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["a", 5], "AGE": np.array([2**53, 2**53 + 1], dtype=np.int64)})
    messages = [(v.variable, v.row, v.message) for v in refused(tmp_path, frame, [
        XptVariable("USUBJID", "Id", "char", 6), GOOD_VARS[1]]).violations]
    assert ("AGE", 2, "integer beyond 2**53 has no exact float64") in messages
    assert ("USUBJID", 2, "character variable needs text, not int") in messages
    assert len(messages) == 2
    frame = GOOD.assign(AGE=["61", "70"])
    (v,) = refused(tmp_path, frame, GOOD_VARS).violations
    assert v.message.startswith("numeric variable needs a numeric column")


def test_lengths_types_and_timestamps_are_checked(tmp_path):
    variables = [XptVariable("USUBJID", "Id", "char", 201), XptVariable("AGE", "Age", "num", 4)]
    messages = [v.message for v in refused(tmp_path, GOOD, variables, timestamp=b"2024-03-05").violations]
    assert "character length must be 1 to 200 bytes, not 201" in messages
    assert "numeric variables are 8 bytes, not 4" in messages
    assert any(m.startswith("header timestamp must be a datetime or 16 bytes ddMMMyy:hh:mm:ss") for m in messages)
    assert "type must be 'char' or 'num'" in str(refused(tmp_path, GOOD, [GOOD_VARS[0], XptVariable("AGE", type="int")]))


def test_a_dataset_without_variables_is_refused(tmp_path):
    error = refused(tmp_path, pd.DataFrame(index=range(3)), [])
    assert [v.message for v in error.violations] == ["a dataset needs 1 to 32767 variables, not 0"]


@pytest.mark.parametrize("text, parsed", [
    ("DATE9.", ("DATE", 9, 0)), ("TIME8.", ("TIME", 8, 0)), ("DATETIME20.", ("DATETIME", 20, 0)),
    ("8.2", ("", 8, 2)), ("$200.", ("$", 200, 0)), ("E8601DA10.", ("E8601DA", 10, 0)), ("$CHAR5.", ("$CHAR", 5, 0)),
    ("BEST12.", ("BEST", 12, 0)), ("DATE.", ("DATE", 0, 0)), ("8.", ("", 8, 0)),
])
def test_format_names_widths_and_decimals(text, parsed):
    fmt = parse_format(text)
    assert (fmt.name, fmt.width, fmt.decimals) == parsed
    assert str(fmt) == text


@pytest.mark.parametrize("rendered, sas", [
    ("DATE9", "DATE9."), ("DATE9.", "DATE9."),  # pyreadstat up to 1.3.7, then from 1.3.8
    ("$200", "$200."), ("$200.", "$200."), ("8.2", "8.2"), ("3", "3."), ("3.", "3."),
    ("DATE", "DATE."), ("", ""), (None, ""),
])
def test_every_reader_rendering_of_a_format_normalises_to_sas_form(rendered, sas):
    assert normalise_format(rendered) == sas


def test_all_violations_of_a_dataset_are_reported_together(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["é"] * 60, "AGE": [np.inf] * 60})
    error = refused(tmp_path, frame, GOOD_VARS, label="L" * 41)
    assert len(error.violations) == 121
    assert [v.row for v in error.violations if v.variable == "AGE"] == list(range(1, 61))
    text = str(error)
    assert text.startswith("DM: 121 XPT v5 violation(s), nothing written:") and text.endswith("... and 71 more")
