"""The cost of the checks (issue 13): `python benchmarks/checks.py --subjects 22000 [--repeats 3] [--raw DIR]`.

In one run, each repeat in a fresh child process (CPU seconds of that process, `time.process_time`):
  read_raw, with every check, against `pandas.read_csv` of the same files (dtype=str,
  keep_default_na=False), the baseline of goal "read_raw costs at most 3x reading the files";
  the two validation layers of `convert` against the mapping they check (map_sdtm + shape_adam):
  `validate_datasets` (the specs' pandera schemas on the frames) and `validate_output` (the validator
  on the folders written, its reports included). Writing the folders is off the clock.
The study is simulated first (off the clock) unless --raw names a folder. Figures are medians.
With --profile FILE, the first repeat also writes a cProfile of the timed stages to FILE.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import cProfile, json, sys, time
from pathlib import Path
import pandas as pd
from cdisc_mirocals.spec import load_spec
from cdisc_mirocals.raw import read_raw
from cdisc_mirocals.sdtm import map_sdtm
from cdisc_mirocals.adam import shape_adam
from cdisc_mirocals.metadata import ShapeLog
from cdisc_mirocals.validate.run import validate_datasets
from cdisc_mirocals.validate.outputs import validate_output
from cdisc_mirocals.submission.package import write_datasets, write_define
from cdisc_mirocals.pipeline import SDTM_DIR, ADAM_DIR

raw, out, profile = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
spec = load_spec()
prof = cProfile.Profile() if profile else None
cpu = {}

def timed(label, fn, *args):
    c = time.process_time()
    if prof: prof.enable()
    try:
        return fn(*args)
    finally:
        if prof: prof.disable()
        cpu[label] = cpu.get(label, 0.0) + time.process_time() - c

def read_csvs():
    for form in spec.raw.values():
        pd.read_csv(raw / form.file, dtype=str, keep_default_na=False)

timed("pandas.read_csv", read_csvs)
study = timed("read_raw", read_raw, raw, spec)
log = ShapeLog()
sdtm = timed("map_sdtm", lambda: map_sdtm(study, spec, log=log))
adam = timed("shape_adam", shape_adam, sdtm.datasets, spec, log)
frames = {name: s.frame for name, s in adam.items()}
timed("validate_datasets", lambda: validate_datasets(sdtm.datasets, spec.sdtm) + validate_datasets(frames, spec.adam))
for folder, standard, shaped in ((SDTM_DIR, "SDTM", sdtm.shaped), (ADAM_DIR, "ADaM", adam)):
    write_define(write_datasets(shaped, out / folder, spec, standard, ("xpt", "json"), log), out / folder, spec,
                 standard, ("xpt", "json"))
timed("validate_output", validate_output, out, {"sdtm": SDTM_DIR, "adam": ADAM_DIR}, spec, "never")
if prof:
    prof.dump_stats(profile)
print(json.dumps(cpu))
"""


def run_child(raw: Path, out: Path, profile: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(raw), str(out), profile], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subjects", type=int, default=2200)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--raw", type=Path, help="a raw folder to read instead of simulating one")
    parser.add_argument("--profile", default="", help="write a cProfile of the first repeat's timed stages here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = args.raw
        if raw is None:
            raw = Path(tmp) / "raw"
            subprocess.run([sys.executable, "-m", "cdisc_mirocals.cli", "simulate", "-n", str(args.subjects),
                            "--out", str(raw)], check=True, capture_output=True)
        runs = [run_child(raw, Path(tmp) / f"out{i}", args.profile if i == 0 else "") for i in range(args.repeats)]
    cpu = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    mapping = cpu["map_sdtm"] + cpu["shape_adam"]
    label = f"{args.subjects:,} subjects" if args.raw is None else str(args.raw.name)
    print(f"Checks at {label}: CPU seconds, median of {args.repeats} (each repeat a fresh process)\n")
    print("| stage | CPU s | ratio | goal |\n|---|---:|---:|---|")
    print(f"| pandas.read_csv of every raw form | {cpu['pandas.read_csv']:.2f} | 1.00 | baseline |")
    print(f"| read_raw, every check | {cpu['read_raw']:.2f} | {cpu['read_raw'] / cpu['pandas.read_csv']:.2f} "
          "| <= 3 x read_csv |")
    print(f"| map_sdtm + shape_adam | {mapping:.2f} | 1.00 | baseline |")
    for name in ("validate_datasets", "validate_output"):
        print(f"| {name} | {cpu[name]:.2f} | {cpu[name] / mapping:.2f} | <= 1 x mapping |")
    both = cpu["validate_datasets"] + cpu["validate_output"]
    print(f"| both validation layers | {both:.2f} | {both / mapping:.2f} | <= 1 x mapping |")


if __name__ == "__main__":
    main()
