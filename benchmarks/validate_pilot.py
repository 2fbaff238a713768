"""Benchmark of `cdisc-mirocals validate` on the CDISC pilot SDTM (PHUSE TDF: 20 datasets, about 100,000
records, with its define.xml): `python benchmarks/validate_pilot.py [--repeats 5] [--folder PATH]`.

Each stage runs in a fresh process per repeat and the medians are reported. These machines are noisy,
so the validation is also given as a ratio to a baseline measured in the same run: reading the same
XPT files with pyreadstat alone (the least any validator must do). The target is under 10 seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

PILOT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "cdiscpilot01_tdf" / "sdtm"

STAGES = {
    "baseline: pyreadstat.read_xport of every file": (
        "import pyreadstat\n"
        "for p in sorted(FOLDER.glob('*.xpt')):\n"
        "    try:\n        pyreadstat.read_xport(str(p))\n"
        "    except Exception:\n        pyreadstat.read_xport(str(p), encoding='windows-1252')"),
    "read the folder (XPT to frames with metadata)": (
        "from cdisc_mirocals.validate.readers import read_folder\nread_folder(FOLDER)"),
    "validate: read, define.xml, schemas and every rule": (
        "from cdisc_mirocals.validate.engine import validate_folder\nvalidate_folder(FOLDER)"),
    "validate and write the five reports": (
        "from cdisc_mirocals.validate.engine import validate_folder\n"
        "from cdisc_mirocals.validate.writers import FORMATS, write_reports\n"
        "import tempfile\nwith tempfile.TemporaryDirectory() as tmp:\n"
        "    write_reports(validate_folder(FOLDER), tmp, FORMATS)"),
}

RUNNER = """
import json, resource, sys, time
from pathlib import Path
FOLDER = Path(sys.argv[1])
import pandas, pandera.pandas, pyreadstat, lxml.etree  # imports are not what is timed
t = time.perf_counter()
{body}
elapsed = time.perf_counter() - t
print(json.dumps({{"seconds": elapsed, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_stage(body: str, folder: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", RUNNER.format(body=body), str(folder)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--folder", type=Path, default=PILOT, help="an SDTM folder [default: the pilot TDF SDTM]")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder}: not here (the shared reference folder sits beside the checkout)", file=sys.stderr)
        return 2
    files = sorted(args.folder.glob("*.xpt"))
    print(f"{args.folder}: {len(files)} XPT files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB, "
          f"{args.repeats} runs per stage\n")
    results = {}
    for name, body in STAGES.items():
        runs = [run_stage(body, args.folder) for _ in range(args.repeats)]
        results[name] = (statistics.median(r["seconds"] for r in runs), max(r["max_rss_mb"] for r in runs))
    base = results[next(iter(STAGES))][0]
    print("| stage | seconds (median) | x baseline | peak MB |\n|---|---:|---:|---:|")
    for name, (seconds, rss) in results.items():
        print(f"| {name} | {seconds:.3f} | {seconds / base:.1f} | {rss:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
