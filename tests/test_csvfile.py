"""The numpy reading of a raw CSV (raw/csvfile.py) gives the records, lines and problems the csv module gives."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from cdisc_mirocals.raw.csvfile import _IRREGULAR, _measured_records, _records

COLUMNS = ["A", "B", "C"]
FIELDS = ["", "x", "  ", "a b", '"q, r"', '"line\none"', '""', '""""', '"say ""hi"""', '"\n"', "é", '"é, ü"']


def _by_csv_module(text: str):
    problems = []
    out = _records(text, COLUMNS, lambda *args: problems.append(args))
    return out, problems


def _by_numpy(text: str):
    problems = []
    out = _measured_records(text.encode("utf-8"), COLUMNS, lambda *args: problems.append(args))
    return out, problems


def _same(text: str) -> None:
    fast, fast_problems = _by_numpy(text)
    if fast is _IRREGULAR:
        return
    slow, slow_problems = _by_csv_module(text)
    assert fast_problems == slow_problems
    if slow is None:
        assert fast is None
        return
    pd.testing.assert_frame_equal(fast[0].astype(object), slow[0], check_dtype=False)
    assert list(fast[1]) == list(slow[1])


@pytest.mark.parametrize("seed", range(40))
def test_random_valid_files_read_alike(seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(rng.randint(0, 12)):
        kind = rng.random()
        if kind < 0.1:
            rows.append(rng.choice(["", "   ", '""', ",,"]))  # blank lines, and one record of empty fields
        else:
            rows.append(",".join(rng.choice(FIELDS) for _ in COLUMNS))
    text = "A,B,C\n" + "\n".join(rows) + rng.choice(["", "\n"])
    fast, _ = _by_numpy(text)
    assert fast is not _IRREGULAR  # every file here quotes as RFC 4180 writes it
    _same(text)


@pytest.mark.parametrize("text", [
    'A,B,C\n1,x"y,2\n',  # a quote inside an unquoted field: literal to the csv module
    'A,B,C\n1,"x"y,2\n',  # text after a closing quote
    'A,B,C\n1,"open,2\n',  # a quote left open
    'A,B,C\n1,2\n',  # a row short of a field, in a quoted file too
    'A,B,C\n"1",2\n',
])
def test_irregular_quoting_is_left_to_the_csv_module(text):
    fast, problems = _by_numpy(text)
    assert fast is _IRREGULAR or (fast is None and problems)


def test_plain_rows_with_the_wrong_number_of_fields_are_named_with_their_line():
    text = "A,B,C\n1,2,3\n\n4,5\n6,7,8,9\n"
    fast, problems = _by_numpy(text)
    slow, slow_problems = _by_csv_module(text)
    assert fast is None and slow is None
    assert problems == slow_problems
    assert [p[1] for p in problems] == [4, 5]


def test_blank_lines_keep_the_numbering():
    fast, _ = _by_numpy("A,B,C\n\n  \n1,2,3\n\n4,5,6")
    assert list(fast[1]) == [4, 6]
    assert fast[0].to_numpy().tolist() == [["1", "2", "3"], ["4", "5", "6"]]
