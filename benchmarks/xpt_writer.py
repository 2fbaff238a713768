"""XPT v5 writing speed: `python benchmarks/xpt_writer.py [--repeats 5] [--rows 100000] [--largest 5]`.

MB/s (10**6 bytes of XPT file per second, median of the repeats) of the numpy writer
(`cdisc_mirocals.submission.xport.write_xpt_file`) and of `pyreadstat.write_xport` writing the same
frames, with the same metadata from specs/, to the same folder, and of the disk itself
(`dd if=/dev/zero bs=1M count=512 conv=fdatasync`). The writers are timed writing a new file into
the page cache (no fsync); dd is timed to the disk, so it is the ceiling writing could ever reach.

The frames are those `convert` hands its writer: SDTM from `map_sdtm` and ADaM from `derive_adam`,
for the default study's largest datasets, and LB of a study simulated with enough subjects for
N rows (its first N rows). Each file the two writers make is checked to be byte-identical before
it is timed.
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

import pandas as pd
import pyreadstat

from cdisc_mirocals.submission.xport import XptVariable, write_xpt_file

LB_ROWS_PER_SUBJECT = 80  # about 82 in the default study


def study_frames(folder: Path, subjects: int | None) -> tuple[dict[str, pd.DataFrame], object]:
    """{name: frame} of every SDTM and ADaM dataset, and the spec, for a simulated study."""
    from cdisc_mirocals.adam import derive_adam
    from cdisc_mirocals.raw import read_raw
    from cdisc_mirocals.sdtm import map_sdtm
    from cdisc_mirocals.simulate import simulate_study, write_forms
    from cdisc_mirocals.spec import load_spec
    spec = load_spec()
    write_forms(simulate_study(subjects, spec=spec), folder, spec)
    sdtm = map_sdtm(read_raw(folder, spec), spec).datasets
    return {**sdtm, **derive_adam(sdtm, spec)}, spec


def metadata(name: str, frame: pd.DataFrame, spec) -> tuple[str, list[XptVariable]]:
    """The dataset label and variables as submission/xpt.py takes them from the spec; text columns
    as long as their longest value, which is how pyreadstat sizes them."""
    dataset = spec.sdtm[name] if name in spec.sdtm.datasets else spec.adam[name]
    variables = []
    for column in frame.columns:
        v = dataset.variable(column)
        if v.is_numeric:
            variables.append(XptVariable(column, v.label, "num", 8, v.format or ""))
        else:
            length = max([1] + [len(x.encode()) for x in frame[column] if isinstance(x, str)])
            variables.append(XptVariable(column, v.label, "char", length, v.format or ""))
    return dataset.description[:40], variables  # xpt.py cuts it; the numpy writer would refuse a longer one


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


def bench(name: str, frame: pd.DataFrame, spec, folder: Path, repeats: int) -> dict:
    label, variables = metadata(name.split()[0], frame, spec)
    table = name.split()[0]
    ours, theirs = folder / "ours.xpt", folder / "pyreadstat.xpt"
    formats = {v.name: v.format for v in variables if v.format}

    def write_ours():
        write_xpt_file(ours, frame, dataset_name=table, dataset_label=label, variables=variables, timestamp=stamp)

    def write_theirs():
        pyreadstat.write_xport(frame, str(theirs), file_label=label, table_name=table,
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
        frames, spec = study_frames(folder / "default", None)
        size = {k: len(f) * sum(8 if v.type == "num" else v.length for v in metadata(k, f, spec)[1])
                for k, f in frames.items()}
        rows = [bench(k, frames[k], spec, folder, args.repeats) for k in sorted(size, key=size.get)[::-1][:args.largest]]
        big, _ = study_frames(folder / "big", args.rows // LB_ROWS_PER_SUBJECT + 1)
        if len(big["LB"]) < args.rows:
            sys.exit(f"the simulated study has {len(big['LB'])} LB rows, fewer than {args.rows}")
        lb = big["LB"].iloc[:args.rows].reset_index(drop=True)
        rows.append(bench(f"LB ({args.rows:,} rows, simulated)", lb, spec, folder, args.repeats))
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
