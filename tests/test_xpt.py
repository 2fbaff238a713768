"""XPT v5 files read back exactly as written, are atomic, and are byte-identical run to run."""

import hashlib

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdisc_mirocals.metadata import conform, shape
from cdisc_mirocals.submission import xpt
from cdisc_mirocals.submission.xpt import TransportError, read_xpt, write_xpt

from conftest import map_one


def _assert_round_trip(frame, path, dataset):
    back, meta = read_xpt(path)
    assert list(back.columns) == list(frame.columns)
    assert meta.column_labels == [dataset.variable(c).label for c in frame.columns]
    assert meta.table_name == dataset.name and meta.file_label == dataset.description
    for column in frame.columns:
        if dataset.variable(column).is_numeric:
            np.testing.assert_array_equal(back[column].to_numpy(float), frame[column].to_numpy(float), err_msg=column)
        else:
            assert back[column].tolist() == frame[column].tolist(), column


@pytest.mark.parametrize("name", ["DM", "SE", "SV", "TA", "TE", "TV"])
def test_sdtm_xpt_reads_back_with_the_same_values_labels_and_names(name, spine, spec, tmp_path):
    _, frame, _ = map_one(spine, name)
    path = write_xpt(shape(frame, spec.sdtm[name]), tmp_path / f"{name.lower()}.xpt")
    _assert_round_trip(frame, path, spec.sdtm[name])
    with open(path, "rb") as fh:
        assert fh.read(80).startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")  # version 5


def test_same_data_give_byte_identical_xpt(spine, spec, tmp_path):
    _, dm, _ = map_one(spine, "DM")
    a = write_xpt(shape(dm, spec.sdtm["DM"]), tmp_path / "a" / "dm.xpt")
    b = write_xpt(shape(dm, spec.sdtm["DM"]), tmp_path / "b" / "dm.xpt")
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


def test_a_failed_write_leaves_no_half_written_file(spine, spec, tmp_path, monkeypatch):
    _, dm, _ = map_one(spine, "DM")
    target = write_xpt(shape(dm, spec.sdtm["DM"]), tmp_path / "dm.xpt")
    before = target.read_bytes()

    def crash_midway(path, frame, **kwargs):
        with open(path, "wb") as fh:
            fh.write(b"HEADER RECORD*******LIBRARY")  # a partial file, then the disk fills up
        raise OSError("No space left on device")

    monkeypatch.setattr(xpt, "write_xpt_file", crash_midway)
    with pytest.raises(OSError):
        write_xpt(shape(dm, spec.sdtm["DM"]), target)
    with pytest.raises(OSError):
        write_xpt(shape(dm, spec.sdtm["DM"]), tmp_path / "new.xpt")
    assert target.read_bytes() == before  # the previous complete file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dm.xpt"]  # no temporary or partial file left


@pytest.mark.parametrize("fault,expected", [
    ("name", "column DMSUBJECTID, value 'DMSUBJECTID': variable name must be 1-8 characters"),
    ("label", "at most 40"),
    ("value", "dm.xpt (DM):4, column SUBJID"),
    ("ascii", "ASCII"),
    ("format", "format"),
])
def test_the_writer_refuses_what_xpt_v5_cannot_hold_and_writes_nothing(fault, expected, spine, spec, tmp_path):
    """A dataset shaped from the spec, then broken the way a bad spec or bad data would break it."""
    import dataclasses
    _, dm, _ = map_one(spine, "DM")
    shaped = shape(dm, spec.sdtm["DM"])
    columns, frame = list(shaped.columns), shaped.frame.copy()
    i = next(k for k, c in enumerate(columns) if c.name == "SUBJID")
    if fault == "name":
        columns[i] = dataclasses.replace(columns[i], name="DMSUBJECTID")
        frame = frame.rename(columns={"SUBJID": "DMSUBJECTID"})
    elif fault == "label":
        columns[i] = dataclasses.replace(columns[i], label="Subject Identifier for the Study, as given")
    elif fault == "value":
        frame.loc[3, "SUBJID"] = "x" * 201
        columns[i] = dataclasses.replace(columns[i], length=200)
    elif fault == "ascii":
        frame.loc[3, "SUBJID"] = "01-00\u00e9"
    else:
        columns[i] = dataclasses.replace(columns[i], format="$DATE9X")
    broken = dataclasses.replace(shaped, frame=frame, columns=tuple(columns))
    with pytest.raises(TransportError) as info:
        write_xpt(broken, tmp_path / "dm.xpt")
    assert expected in str(info.value)
    assert list(tmp_path.iterdir()) == []
