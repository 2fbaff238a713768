"""XPT v5 writing speed: `python benchmarks/xpt_writer.py [--repeats 5] [--rows 100000] [--largest 5]`.

MB/s (10**6 bytes of XPT file per second, median of the repeats) of the numpy writer
(`cdisc_mirocals.submission.xport.write_xpt_file`) and of `pyreadstat.write_xport` writing the same
frames to the same folder, and of the disk itself (`dd if=/dev/zero bs=1M count=512 conv=fdatasync`).
The writers are timed writing a new file into the page cache (no fsync); dd is timed to the disk,
so it is the ceiling that writing could ever reach.

The frames are the default study's largest datasets, as `convert` writes them and pyreadstat reads
them back, and a synthetic frame with LB's variables and N rows (new subjects, dates and results,
so that its text is not just the study's few distinct values repeated). Each file written by the
two writers is checked to be byte-identical before it is timed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from cdisc_mirocals.submission.xport import XptVariable, write_xpt_file


def study_frames(out: Path) -> dict[str, tuple[pd.DataFrame, object]]:
    from cdisc_mirocals.pipeline import convert
    convert(None, out)
    paths = sorted(out.glob("m5/**/*.xpt"))
    return {p.stem.upper(): pyreadstat.read_xport(str(p), disable_datetime_conversion=True) for p in paths}


def variables_of(frame: pd.DataFrame, meta) -> list[XptVariable]:
    out = []
    for name, label in zip(meta.column_names, meta.column_labels):
        fmt = meta.original_variable_types.get(name) or ""
        fmt = fmt if not fmt or "." in fmt else fmt + "."
        if meta.readstat_variable_types[name] == "string":
            length = max([1] + [len(v) for v in frame[name]])  # as pyreadstat sizes it
            out.append(XptVariable(name, label or "", "char", length, fmt))
        else:
            out.append(XptVariable(name, label or "", "num", 8, fmt))
    return out


def synthetic_lb(lb: pd.DataFrame, rows: int, seed: int = 1) -> pd.DataFrame:
    """LB's columns and value mix, resampled to `rows` rows with fresh identifiers, dates and results."""
    rng = np.random.default_rng(seed)
    frame = lb.iloc[rng.integers(0, len(lb), rows)].reset_index(drop=True)
    subjects = rows // 40 + 1
    subject = np.sort(rng.integers(0, subjects, rows))
    frame["USUBJID"] = [f"MIROCALS-{s // 100:03d}-{s:05d}" for s in subject]
    frame["LBSEQ"] = np.arange(1.0, rows + 1)
    value = np.round(rng.lognormal(3, 1, rows), 2)
    value[rng.random(rows) < 0.03] = np.nan
    text = [f"{v:g}" if v == v else "" for v in value]
    for name, column in (("LBORRES", text), ("LBSTRESC", text), ("LBSTRESN", value)):
        if name in frame:
            frame[name] = column
    days = rng.integers(0, 900, rows)
    if "LBDY" in frame:
        frame["LBDY"] = days + 1.0
    if "LBDTC" in frame:
        dates = pd.Timestamp("2017-03-01") + pd.to_timedelta(days, "D") + pd.to_timedelta(rng.integers(0, 86400, rows), "s")
        frame["LBDTC"] = dates.strftime("%Y-%m-%dT%H:%M").tolist()
    return frame


def timed(writers: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds of each writer making a new file. The writers take turns within
    each repeat, so a neighbour's load falls on both; an old file is removed off the clock, as
    truncating a file still in the page cache costs milliseconds that no fresh output pays."""
    times = {name: ([], []) for name in writers}
    for _ in range(repeats):
        for name, (fn, path) in writers.items():
            path.unlink(missing_ok=True)
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            times[name][0].append(time.perf_counter() - wall)
            times[name][1].append(time.process_time() - cpu)
    return {name: (statistics.median(w), statistics.median(c)) for name, (w, c) in times.items()}


def disk_mb_s(folder: Path, repeats: int) -> float:
    target = folder / "dd.bin"
    rates = []
    for _ in range(repeats):
        out = subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", "count=512", "conv=fdatasync"],
                             capture_output=True, text=True, check=True)
        seconds = float(re.search(r"copied, ([\d.]+) s", out.stderr).group(1))
        rates.append(512 * 2**20 / seconds / 1e6)
        target.unlink()
    return statistics.median(rates)


def bench(name: str, frame: pd.DataFrame, meta, folder: Path, repeats: int) -> dict:
    variables = variables_of(frame, meta)
    ours, theirs = folder / f"ours_{name}.xpt", folder / f"pyreadstat_{name}.xpt"
    formats = {v.name: v.format for v in variables if v.format}

    def write_ours():
        write_xpt_file(ours, frame, dataset_name=meta.table_name, dataset_label=meta.file_label or "",
                       variables=variables, timestamp=stamp)

    def write_theirs():
        pyreadstat.write_xport(frame, str(theirs), file_label=meta.file_label or "", table_name=meta.table_name,
                               column_labels=[v.label for v in variables], file_format_version=5,
                               variable_format=formats or None)

    write_theirs()
    stamp = theirs.read_bytes()[144:160]
    write_ours()
    if ours.read_bytes() != theirs.read_bytes():
        sys.exit(f"{name}: the two writers disagree; run tests/test_xport.py")
    size = ours.stat().st_size
    t = timed({"ours": (write_ours, ours), "pyreadstat": (write_theirs, theirs)}, repeats)
    ours.unlink()
    theirs.unlink()
    return dict(dataset=name, rows=len(frame), mb=size / 1e6, **{
        f"{who}_{clock}": size / seconds / 1e6 for who, pair in t.items() for clock, seconds in zip(("wall", "cpu"), pair)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the synthetic LB-shaped frame")
    parser.add_argument("--largest", type=int, default=5, help="how many of the study's largest datasets")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xpt-bench-") as tmp:
        folder = Path(tmp)
        frames = study_frames(folder / "study")
        largest = sorted(frames, key=lambda k: -frames[k][0].memory_usage(deep=True).sum())[:args.largest]
        rows = [bench(k, *frames[k], folder, args.repeats) for k in largest]
        lb, meta = frames["LB"]
        rows.append(bench(f"LB x {args.rows:,} rows", synthetic_lb(lb, args.rows), meta, folder, args.repeats))
        disk = disk_mb_s(folder, args.repeats)
    print(f"Medians of {args.repeats} runs; MB = 10**6 bytes of XPT file; MB/s by the wall clock, and per "
          "CPU-second of the writing process (steadier on a shared machine).\n")
    print("| dataset | rows | MB | numpy writer MB/s | pyreadstat MB/s | x pyreadstat (wall) "
          "| numpy writer MB/CPU-s | pyreadstat MB/CPU-s | x pyreadstat (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['dataset']} | {r['rows']:,} | {r['mb']:.1f} | {r['ours_wall']:.0f} | {r['pyreadstat_wall']:.1f} "
              f"| {r['ours_wall'] / r['pyreadstat_wall']:.1f} | {r['ours_cpu']:.0f} | {r['pyreadstat_cpu']:.1f} "
              f"| {r['ours_cpu'] / r['pyreadstat_cpu']:.1f} |")
    print(f"| disk: dd bs=1M count=512 conv=fdatasync | | 536.9 | {disk:.0f} | | | | | |")


if __name__ == "__main__":
    main()
