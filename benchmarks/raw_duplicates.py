"""Benchmark: check-raw's duplicate-key report on a big lab file.

    python benchmarks/raw_duplicates.py [--rows 1000000] [--duplicates 13392] [--repeats 3]

A small simulated study, whose lab.csv is replaced by a synthetic one of --rows records: once with
unique keys, once with --duplicates records that repeat an earlier key (one in three of them written
with a trailing space or in lower case, as exports do). read_raw runs in a fresh child process each
time, so that each figure is its own. The report must grow with the records, not with records times
duplicates: the ratio of the two runs stays near 1 whatever the size. A baseline measured in the same
run, pandas reading the same lab.csv, shows how fast this machine is at the moment.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

TESTS = ("HGB", "WBC", "NEUT", "LYM", "EOS", "PLAT", "ALT", "AST", "BILI", "CREAT")
UNITS = {"HGB": "g/L", "WBC": "10^9/L", "NEUT": "10^9/L", "LYM": "10^9/L", "EOS": "10^9/L", "PLAT": "10^9/L",
         "ALT": "U/L", "AST": "U/L", "BILI": "umol/L", "CREAT": "umol/L"}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

CHILD = """
import json, sys, time
from cdisc_mirocals.errors import RawDataError
from cdisc_mirocals.raw import read_raw
from cdisc_mirocals.spec import load_spec
spec = load_spec()
start = time.perf_counter()
if sys.argv[2] == "baseline":
    import pandas as pd
    pd.read_csv(sys.argv[1] + "/lab.csv", dtype=str, keep_default_na=False)
    problems = 0
else:
    try:
        read_raw(sys.argv[1], spec)
        problems = 0
    except RawDataError as exc:
        problems = len(exc.problems)
print(json.dumps({"seconds": time.perf_counter() - start, "problems": problems}))
"""


def lab_file(path: Path, columns: list[str], subjects: list[str], rows: int, duplicates: int, seed: int = 1) -> None:
    """Unique keys: each (subject, test) gets its own run of days; then `duplicates` rows copy the key of
    an earlier row. `columns`: the form's, from specs/raw (those not made here are left empty)."""
    rng = np.random.default_rng(seed)
    subject = np.array(subjects)[np.arange(rows) % len(subjects)]
    test = np.array(TESTS)[(np.arange(rows) // len(subjects)) % len(TESTS)]
    day = np.arange(rows) // (len(subjects) * len(TESTS))
    dates = np.datetime64("1990-01-01") + day
    text = np.datetime_as_string(dates)
    lbdat = np.array([f"{t[8:10]}-{MONTHS[int(t[5:7]) - 1]}-{t[:4]}" for t in text], dtype=object)
    testcd = test.astype(object)
    if duplicates:
        copies = rng.choice(np.arange(rows // 2, rows), size=duplicates, replace=False)
        sources = copies - len(subjects) * len(TESTS)  # the same subject and test, the day before
        subject[copies], lbdat[copies] = subject[sources], lbdat[sources]
        variant = rng.integers(3, size=duplicates)
        testcd[copies] = [t if v == 0 else t + " " if v == 1 else t.lower() for t, v in zip(test[sources], variant)]
    result = rng.normal(50, 10, rows).round(1).clip(0)
    cat = np.where(np.isin(test, ("ALT", "AST", "BILI", "CREAT")), "Chemistry", "Haematology")
    made = {"SUBJID": subject, "VISIT": np.full(rows, "Unscheduled"), "LBDAT": lbdat, "LBCAT": cat,
            "LBTESTCD": testcd, "LBORRES": result, "LBORRESU": np.array([UNITS[t] for t in test]),
            "LBORNRLO": np.zeros(rows, dtype=int), "LBORNRHI": np.full(rows, 500)}
    cells = [made.get(c, np.full(rows, "")) for c in columns]
    with path.open("w") as fh:
        fh.write(",".join(columns) + "\n")
        fh.writelines(",".join(map(str, row)) + "\n" for row in zip(*cells))


def timed(raw: Path, what: str, repeats: int) -> dict:
    runs = [json.loads(subprocess.run([sys.executable, "-c", CHILD, str(raw), what], capture_output=True,
                                      text=True, check=True).stdout.splitlines()[-1]) for _ in range(repeats)]
    return {"seconds": statistics.median(r["seconds"] for r in runs), "problems": runs[0]["problems"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--duplicates", type=int, default=13_392)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from cdisc_mirocals.simulate import simulate_study, write_forms
    from cdisc_mirocals.spec import load_spec
    columns = load_spec().raw["LAB"].columns
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, duplicates in (("unique keys", 0), (f"{args.duplicates} duplicate keys", args.duplicates)):
            raw = Path(tmp) / name.replace(" ", "_")
            forms = simulate_study(20, 2024)
            write_forms(forms, raw)
            subjects = sorted(set(forms["ENROL"]["SUBJID"].str.strip()))
            lab_file(raw / "lab.csv", columns, subjects, args.rows, duplicates)
            if not results:
                results["baseline: pandas.read_csv of lab.csv"] = timed(raw, "baseline", args.repeats)
            results[f"read_raw, {name}"] = timed(raw, "read_raw", args.repeats)
    base = next(iter(results.values()))["seconds"]
    print(f"lab.csv of {args.rows:,} records, median of {args.repeats} runs")
    print(f"{'run':45} {'seconds':>9} {'x baseline':>11} {'problems':>9}")
    for name, r in results.items():
        print(f"{name:45} {r['seconds']:9.2f} {r['seconds'] / base:11.1f} {r['problems']:9,}")
    unique, dup = list(results.values())[1:]
    if unique["problems"]:
        sys.exit("the study with unique keys was refused: the benchmark's lab.csv no longer fits specs/raw")
    print(f"duplicates / unique: {dup['seconds'] / unique['seconds']:.2f}")


if __name__ == "__main__":
    main()
