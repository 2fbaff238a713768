"""Benchmarks: `python benchmarks/run.py [--repeats 5] [--subjects 220] [--stage TEXT ...]`.

Each stage runs in a fresh subprocess per repeat, so its peak memory (max RSS) is its own; the setup
a stage needs (reading the raw forms, mapping SDTM) runs in that process before the clock starts.
These machines are noisy: figures are medians, and each stage is also given as a ratio to a baseline
measured in the same run (plain pandas reading every raw CSV), which moves with the machine.
Scaling the simulator: `python benchmarks/run.py --subjects 100000 --repeats 1 --stage simulate`.
The analyze stages read ADaM XPT files from disk: the study's own, and a 100,000-subject ADTTE/ADSL
made by resampling its subjects (--big-adtte sets the size).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SETUP = {
    "": "",
    "raw": "from cdisc_mirocals.raw import read_raw\nRAW_STUDY = read_raw(RAW)",
    "sdtm": "from cdisc_mirocals.raw import read_raw\nfrom cdisc_mirocals.sdtm import map_sdtm\n"
            "SDTM = map_sdtm(read_raw(RAW), load_spec()).datasets",
}
STAGES = {  # name: (setup, timed code)
    "baseline: pandas.read_csv of every raw form": ("", "import pandas as pd\n"
        "for p in sorted(RAW.glob('*.csv')):\n    pd.read_csv(p, dtype=str, keep_default_na=False)"),
    "simulate (and write the CSVs)": ("", "from cdisc_mirocals.simulate import simulate_study, write_forms\n"
        "write_forms(simulate_study(N, 2024), Path(TMP) / 'sim')"),
    "read_raw (checks included)": ("", "from cdisc_mirocals.raw import read_raw\nread_raw(RAW)"),
    "map_sdtm": ("raw", "from cdisc_mirocals.sdtm import map_sdtm\nmap_sdtm(RAW_STUDY, load_spec())"),
    "derive_adam": ("sdtm", "from cdisc_mirocals.adam import derive_adam\nderive_adam(SDTM, load_spec())"),
    "convert: raw to validated SDTM + ADaM XPT": ("", "from cdisc_mirocals.pipeline import convert\n"
        "convert(RAW, Path(TMP) / 'out')"),
    "analyze: the study's ADaM (3 parameters)": ("", "from cdisc_mirocals.pipeline import run_analysis\n"
        "run_analysis(Path(TMP) / 'adam', Path(TMP) / 'analysis')"),
    "analyze: big resampled ADTTE (OS640)": ("", "from cdisc_mirocals.pipeline import run_analysis\n"
        "run_analysis(Path(TMP) / 'adam_big', Path(TMP) / 'analysis_big', params=['OS640'])"),
}

RUNNER = """
import json, resource, sys, time
from pathlib import Path
RAW, TMP, N = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
from cdisc_mirocals.spec import load_spec
load_spec()
{setup}
t = time.perf_counter()
{body}
elapsed = time.perf_counter() - t
print(json.dumps({{"seconds": elapsed, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_stage(setup: str, body: str, raw: Path, tmp: Path, n: int) -> dict:
    code = RUNNER.format(setup=SETUP[setup], body=body)
    out = subprocess.run([sys.executable, "-c", code, str(raw), str(tmp), str(n)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_adam(raw: Path, tmp: Path, big: int) -> None:
    """The study's ADaM on disk, and a `big`-subject copy made by resampling its randomised subjects."""
    import numpy as np

    from cdisc_mirocals.adam import derive_adam
    from cdisc_mirocals.pipeline import write_datasets
    from cdisc_mirocals.raw import read_raw
    from cdisc_mirocals.sdtm import map_sdtm
    from cdisc_mirocals.spec import load_spec

    spec = load_spec()
    adam = derive_adam(map_sdtm(read_raw(raw, spec), spec).datasets, spec)
    write_datasets(adam, tmp / "adam", spec.adam)
    adsl = adam["ADSL"][adam["ADSL"]["ITTFL"] == "Y"]
    pick = np.random.default_rng(1).choice(len(adsl), size=big)
    ids = {u: i for i, u in enumerate(adsl["USUBJID"])}
    new_id = [f"BIG-{i:06d}" for i in range(big)]
    big_adsl = adsl.iloc[pick].assign(USUBJID=new_id).reset_index(drop=True)
    adtte = adam["ADTTE"]
    rows = [adtte[adtte["PARAMCD"] == "OS640"].set_index("USUBJID").loc[adsl["USUBJID"].iloc[pick]]]
    big_adtte = rows[0].reset_index(drop=True).assign(USUBJID=new_id)
    write_datasets({"ADSL": big_adsl, "ADTTE": big_adtte[adtte.columns]}, tmp / "adam_big", spec.adam)
    assert len(ids) == len(adsl)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--subjects", type=int, default=220)
    parser.add_argument("--stage", action="append", help="run only the stages whose name contains this text")
    parser.add_argument("--big-adtte", type=int, default=100_000, help="subjects in the resampled ADTTE")
    parser.add_argument("--make-adam", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_adam:
        return make_adam(Path(args.make_adam) / "raw", Path(args.make_adam), args.big_adtte)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        # in a child process, so that this parent stays small: a forked child's peak RSS counts it
        subprocess.run([sys.executable, "-c", "import sys; from cdisc_mirocals.simulate import simulate_study, "
                        "write_forms; write_forms(simulate_study(int(sys.argv[1]), 2024), sys.argv[2])",
                        str(args.subjects), str(raw)], check=True)
        if not args.stage or any("analyze" in s for s in args.stage):
            subprocess.run([sys.executable, __file__, "--make-adam", tmp, "--big-adtte", str(args.big_adtte)], check=True)
        results = {}
        for name, (setup, body) in STAGES.items():
            if args.stage and not name.startswith("baseline") and not any(s in name for s in args.stage):
                continue
            runs = [run_stage(setup, body, raw, Path(tmp), args.subjects) for _ in range(args.repeats)]
            results[name] = {"seconds": statistics.median(r["seconds"] for r in runs),
                             "max_rss_mb": statistics.median(r["max_rss_mb"] for r in runs)}
    base = next(v["seconds"] for k, v in results.items() if k.startswith("baseline"))
    print(f"{args.subjects} subjects, median of {args.repeats} runs")
    print(f"{'stage':45} {'seconds':>9} {'x baseline':>11} {'peak MB':>9}")
    for name, r in results.items():
        print(f"{name:45} {r['seconds']:9.3f} {r['seconds'] / base:11.1f} {r['max_rss_mb']:9.0f}")


if __name__ == "__main__":
    main()
