"""Benchmarks of issue 13 (speed and scale): `python benchmarks/run.py [--repeats 3] [--sizes 2200,22000,100000]`.

Everything runs in fresh child processes, so each figure (CPU seconds, peak RSS) is that process's own.
These machines are shared and noisy: figures are medians of --repeats runs (one run from 22,000
subjects on), and every goal is a ratio to a baseline measured in the same run. `convert` runs as the
CLI runs it (`keep=False`: no frame outlives its stage).

  startup   `cdisc-mirocals --help` and `--version`, wall seconds, and the heavy modules they import
  study     convert of the default study (220 subjects, analyses included) against the bare import of
            its dependencies (`import pandas, pandera, lifelines, pyreadstat, lxml`)
  scale     convert at each of --sizes subjects (simulated first, off the clock): CPU and peak RSS, the
            CPU of each stage inside that same run, `pandas.read_csv` of the same raw files as the
            baseline of read_raw, and the growth exponent of time and memory fitted over the sizes. A
            size whose peak RSS, extrapolated from the sizes before it, exceeds the memory available is
            reported as not run (--force runs it anyway)
  xpt       benchmarks/xpt_writer.py: MB/s of the project's XPT writer, pyreadstat and the disk (dd)
  profile   the top 10 functions by own CPU time (cProfile) of convert at --profile-size subjects (default:
            the largest size the scale part ran)
  stages    the older per-stage table: simulate, read_raw, map_sdtm, derive_adam, analyze (--subjects)

`--part` picks parts (repeatable; default: startup, study, scale, xpt, profile).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMPORTS = "import pandas, pandera, lifelines, pyreadstat, lxml"
HEAVY = ("pandas", "numpy", "pandera", "lifelines", "matplotlib", "lxml", "pyreadstat", "statsmodels", "scipy")

# A child that runs `body` and prints its CPU seconds, wall seconds and peak RSS as JSON. With STAGES, the
# pipeline's stage functions are wrapped to add up their own CPU time in the same run.
CHILD = """
import json, os, resource, sys, threading, time
t0, c0 = time.perf_counter(), time.process_time()
STAGE_CPU = {{}}
STAGE_PEAK = {{}}  # the highest RSS sampled while each stage ran (outside every stage: "other")
NOW = ["other"]
if {stages}:
    import cdisc_mirocals.pipeline as P, cdisc_mirocals.sdtm as S
    PAGE = os.sysconf("SC_PAGE_SIZE")
    def sample():
        while True:
            with open("/proc/self/statm") as fh:
                rss = int(fh.read().split()[1]) * PAGE / 2 ** 20
            STAGE_PEAK[NOW[-1]] = max(STAGE_PEAK.get(NOW[-1], 0.0), rss)
            time.sleep(0.05)
    threading.Thread(target=sample, daemon=True).start()
    def timed(module, name, label):
        fn = getattr(module, name)
        def wrapper(*args, **kwargs):
            c = time.process_time()
            NOW.append(label)
            try:
                return fn(*args, **kwargs)
            finally:
                NOW.pop()
                STAGE_CPU[label] = STAGE_CPU.get(label, 0.0) + time.process_time() - c
        setattr(module, name, wrapper)
    for name, label in (("simulate", "simulate"), ("read_raw", "read_raw"), ("map_sdtm", "map_sdtm"),
                        ("shape_adam", "derive_adam"), ("validate_datasets", "validate: schemas in memory"),
                        ("write_datasets", "write datasets (XPT, JSON)"), ("write_define", "define.xml, define.html"),
                        ("validate_output", "validate: the files written, reports"), ("run_analysis", "analysis")):
        timed(P, name, label)
    timed(S, "shape", "map_sdtm: shaping")
    timed(S, "reconcile", "map_sdtm: reconcile")
{body}
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({{"cpu": usage.ru_utime + usage.ru_stime, "wall": time.perf_counter() - t0,
                  "rss_mb": usage.ru_maxrss / 1024, "stages": STAGE_CPU, "peaks": STAGE_PEAK}}))
"""


def child(body: str, *args: str, stages: bool = False) -> dict:
    code = CHILD.format(body=body, stages=stages)
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_runs(runs: list[dict]) -> dict:
    out = {k: statistics.median(r[k] for r in runs) for k in ("cpu", "wall", "rss_mb")}
    out["stages"] = {k: statistics.median(r["stages"].get(k, 0.0) for r in runs) for k in runs[0]["stages"]}
    out["peaks"] = {k: statistics.median(r.get("peaks", {}).get(k, 0.0) for r in runs) for k in runs[0].get("peaks", {})}
    return out


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - t


def startup(repeats: int) -> list[str]:
    cli = [sys.executable, "-m", "cdisc_mirocals.cli"]
    rows = ["| command | wall s (median) |", "|---|---:|"]
    base = statistics.median(wall([sys.executable, "-c", "pass"]) for _ in range(repeats))
    rows.append(f"| python -c pass (baseline) | {base:.3f} |")
    for arg in ("--help", "--version"):
        rows.append(f"| cdisc-mirocals {arg} | {statistics.median(wall([*cli, arg]) for _ in range(repeats)):.3f} |")
    code = ("import sys; from click.testing import CliRunner; from cdisc_mirocals.cli import main; "
            "CliRunner().invoke(main, ['--help']); print(sorted(m for m in sys.modules if m.split('.')[0] in %r))" % (HEAVY,))
    heavy = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return rows + ["", f"Heavy modules imported by `--help`: {heavy}"]


def study(repeats: int, tmp: Path) -> list[str]:
    bare = median_runs([child(IMPORTS) for _ in range(repeats)])
    convert = median_runs([child("from pathlib import Path\nfrom cdisc_mirocals.pipeline import convert\n"
                                 "convert(None, Path(sys.argv[1]), keep=False)", str(tmp / f"study{i}"), stages=True)
                           for i in range(repeats)])
    rows = ["| run | CPU s | wall s | x import (CPU) | x import (wall) | peak RSS MB |", "|---|---:|---:|---:|---:|---:|",
            f"| baseline: `python -c \"{IMPORTS}\"` | {bare['cpu']:.2f} | {bare['wall']:.2f} | 1.0 | 1.0 | {bare['rss_mb']:.0f} |",
            f"| convert, default study (220 subjects, analyses included) | {convert['cpu']:.2f} | {convert['wall']:.2f} "
            f"| {convert['cpu'] / bare['cpu']:.1f} | {convert['wall'] / bare['wall']:.1f} | {convert['rss_mb']:.0f} |"]
    return rows + ["", "CPU seconds of each stage inside the convert runs (median):", ""] + stage_rows(convert["stages"])


def peak_rows(result: dict, n: int) -> list[str]:
    """Where the memory goes: the highest RSS sampled (every 50 ms) while each stage ran."""
    peaks = result.get("peaks", {})
    if not peaks:
        return []
    return [f"Peak RSS while each stage ran, {n:,} subjects (sampled every 50 ms; 'other' is the time between "
            "stages: imports, the reconciliation and log, publishing):", "", "| stage | peak RSS MB | KB per subject |",
            "|---|---:|---:|"] + [f"| {k} | {v:,.0f} | {v * 1024 / n:.0f} |" for k, v in peaks.items()] + [""]


def stage_rows(stages: dict[str, float]) -> list[str]:
    return ["| stage | CPU s |", "|---|---:|"] + [f"| {k} | {v:.2f} |" for k, v in stages.items()]


def simulate(n: int, folder: Path) -> None:
    subprocess.run([sys.executable, "-c", "import sys; from cdisc_mirocals.simulate import simulate_study, write_forms; "
                    "write_forms(simulate_study(int(sys.argv[1])), sys.argv[2])", str(n), str(folder)], check=True)


def raw_folder(n: int, tmp: Path) -> Path:
    """The raw forms of an n-subject study (seed 1), simulated once per benchmark run, off the clock."""
    folder = tmp / f"raw-{n}"
    if not folder.is_dir():
        simulate(n, folder)
    return folder


def exponent(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y on log x: 1 is linear growth."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def available_mb() -> float:
    with open("/proc/meminfo") as fh:
        info = dict(line.split(":", 1) for line in fh)
    return int(info["MemAvailable"].split()[0]) / 1024


def projected_mb(n: int, results: dict[int, dict]) -> float | None:
    """Peak RSS at n subjects extrapolated from the sizes already run (log-log line through two or more;
    from one size alone nothing is projected, as its fixed part, the imports, would be scaled too)."""
    done = sorted(results)
    if len(done) < 2:
        return None
    k = exponent(done, [results[m]["rss_mb"] for m in done])
    return results[done[-1]]["rss_mb"] * (n / done[-1]) ** k


def validation_cpu(stages: dict[str, float]) -> float:
    return sum(v for k, v in stages.items() if k.startswith("validate"))


def scale(sizes: list[int], repeats: int, tmp: Path, raws: Path, force: bool = False) -> tuple[list[str], list[int]]:
    """The scale table, and the sizes that ran."""
    rows = ["| subjects | raw CSV MB | convert CPU s | wall s | peak RSS MB | KB per subject | read_raw CPU s "
            "| pandas.read_csv CPU s | read_raw x read_csv | mapping CPU s | validation CPU s | validation x mapping |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    results, notes = {}, []
    for n in sizes:
        guess = projected_mb(n, results)
        if guess is not None and guess > 0.9 * available_mb() and not force:
            notes.append(f"{n:,} subjects not run: peak RSS projected from the sizes run is {guess / 1024:,.1f} GB, "
                         f"and {available_mb() / 1024:,.1f} GB are available (--force runs it anyway).")
            continue
        raw = raw_folder(n, raws)
        mb = sum(p.stat().st_size for p in raw.glob("*.csv")) / 1e6
        reps = repeats if n <= 2200 else 1
        read_csv = median_runs([child("import pandas as pd\nfrom pathlib import Path\n"
                                      "for p in sorted(Path(sys.argv[1]).glob('*.csv')):\n"
                                      "    pd.read_csv(p, dtype=str, keep_default_na=False)", str(raw))
                                for _ in range(reps)])
        base = child("import pandas as pd")  # the import, to take off read_csv's CPU
        runs = []
        for i in range(reps):
            out = tmp / f"out-{n}"
            runs.append(child("from pathlib import Path\nfrom cdisc_mirocals.pipeline import convert\n"
                              "convert(Path(sys.argv[1]), Path(sys.argv[2]), keep=False)", str(raw), str(out),
                              stages=True))
            subprocess.run(["rm", "-rf", str(out)], check=True)
        r = results[n] = median_runs(runs)
        st = r["stages"]
        csv_cpu = max(read_csv["cpu"] - base["cpu"], 1e-9)
        mapping = st.get("map_sdtm", 0.0) + st.get("derive_adam", 0.0)
        rows.append(f"| {n:,} | {mb:.0f} | {r['cpu']:.1f} | {r['wall']:.1f} | {r['rss_mb']:,.0f} | "
                    f"{r['rss_mb'] * 1024 / n:.0f} | {st.get('read_raw', 0):.1f} | {csv_cpu:.1f} | "
                    f"{st.get('read_raw', 0) / csv_cpu if csv_cpu > 0.05 else float('nan'):.1f} | {mapping:.1f} | {validation_cpu(st):.1f} | "
                    f"{validation_cpu(st) / mapping:.2f} |")
    lines = rows + [""] + notes + ([""] if notes else [])
    big = [n for n in results if n >= 2200]
    if len(big) >= 2:
        lines.append(f"Growth exponent over {', '.join(f'{n:,}' for n in big)} subjects (log-log slope; 1 is linear): "
                     f"CPU {exponent(big, [results[n]['cpu'] for n in big]):.2f}, "
                     f"peak RSS {exponent(big, [results[n]['rss_mb'] for n in big]):.2f}.")
        lines.append("")
    if len(big) >= 2:
        names = list(results[big[-1]]["stages"])
        lines += [f"CPU seconds of each stage, and its growth exponent over {', '.join(f'{n:,}' for n in big)} subjects:",
                  "", "| stage | " + " | ".join(f"{n:,}" for n in big) + " | exponent |",
                  "|---|" + "---:|" * (len(big) + 1)]
        for name in names:
            cpu = [max(results[n]["stages"].get(name, 0.0), 1e-3) for n in big]
            lines.append(f"| {name} | " + " | ".join(f"{c:.1f}" for c in cpu) + f" | {exponent(big, cpu):.2f} |")
        lines.append("")
        lines += peak_rows(results[big[-1]], big[-1])
    else:
        for n in results:
            lines += [f"Stages at {n:,} subjects (CPU s):", ""] + stage_rows(results[n]["stages"]) + [""]
    return lines, list(results)


PROFILE = """
import cProfile, pstats, sys
from pathlib import Path
from cdisc_mirocals.pipeline import convert
profile = cProfile.Profile()
profile.runcall(convert, Path(sys.argv[1]), Path(sys.argv[2]), keep=False)
stats = pstats.Stats(profile)
rows = []
for (file, line, name), (cc, nc, tt, ct, callers) in stats.stats.items():
    rows.append((tt, ct, nc, file, line, name))
for tt, ct, nc, file, line, name in sorted(rows, reverse=True)[:int(sys.argv[3])]:
    for cut in ("site-packages/", "cdisc_mirocals/", "lib/python3."):  # no machine path in the table
        if cut in file:
            file = file.split(cut, 1)[1] if cut != "lib/python3." else file.split(cut, 1)[1].split("/", 1)[1]
            break
    where = file
    print(f"| `{where}:{line}({name})` | {nc:,} | {tt:.1f} | {ct:.1f} |")
"""


def profile(n: int, tmp: Path, raws: Path, top: int = 10) -> list[str]:
    """The functions of an n-subject convert with the most CPU of their own (cProfile, which slows the run)."""
    out = subprocess.run([sys.executable, "-c", PROFILE, str(raw_folder(n, raws)), str(tmp / "out"), str(top)],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return [f"Top {top} functions by own time (tottime), convert of {n:,} subjects under cProfile:", "",
            "| function | calls | tottime s | cumtime s |", "|---|---:|---:|---:|", *out.stdout.strip().splitlines()]


def xpt(repeats: int) -> list[str]:
    out = subprocess.run([sys.executable, str(HERE / "xpt_writer.py"), "--repeats", str(repeats)],
                         capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


# The older per-stage table: each stage in a fresh process, its setup off the clock.
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


def make_adam(raw: Path, tmp: Path, big: int) -> None:
    """The study's ADaM on disk, and a `big`-subject copy made by resampling its randomised subjects."""
    import numpy as np

    from cdisc_mirocals.adam import derive_adam
    from cdisc_mirocals.raw import read_raw
    from cdisc_mirocals.sdtm import map_sdtm
    from cdisc_mirocals.spec import load_spec
    from cdisc_mirocals.submission.package import write_frames

    spec = load_spec()
    adam = derive_adam(map_sdtm(read_raw(raw, spec), spec).datasets, spec)
    write_frames(adam, tmp / "adam", spec, "ADaM")
    adsl = adam["ADSL"][adam["ADSL"]["ITTFL"] == "Y"]
    pick = np.random.default_rng(1).choice(len(adsl), size=big)
    new_id = [f"BIG-{i:06d}" for i in range(big)]
    big_adsl = adsl.iloc[pick].assign(USUBJID=new_id).reset_index(drop=True)
    adtte = adam["ADTTE"]
    os640 = adtte[adtte["PARAMCD"] == "OS640"].set_index("USUBJID").loc[adsl["USUBJID"].iloc[pick]]
    big_adtte = os640.reset_index(drop=True).assign(USUBJID=new_id)
    write_frames({"ADSL": big_adsl, "ADTTE": big_adtte[adtte.columns]}, tmp / "adam_big", spec, "ADaM")


def stages(args, tmp: Path) -> list[str]:
    raw = tmp / "raw"
    simulate(args.subjects, raw)
    subprocess.run([sys.executable, __file__, "--make-adam", str(tmp), "--big-adtte", str(args.big_adtte)], check=True)
    results = {}
    for name, (setup, body) in STAGES.items():
        runs = []
        for _ in range(args.repeats):
            code = RUNNER.format(setup=SETUP[setup], body=body)
            out = subprocess.run([sys.executable, "-c", code, str(raw), str(tmp), str(args.subjects)],
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        results[name] = (statistics.median(r["seconds"] for r in runs), statistics.median(r["max_rss_mb"] for r in runs))
    base = results["baseline: pandas.read_csv of every raw form"][0]
    lines = [f"{args.subjects} subjects, median of {args.repeats} runs", "", "| stage | seconds | x baseline | peak MB |",
             "|---|---:|---:|---:|"]
    return lines + [f"| {k} | {s:.3f} | {s / base:.1f} | {m:.0f} |" for k, (s, m) in results.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="2200,22000,100000", help="subjects of the scale runs, comma-separated")
    parser.add_argument("--force", action="store_true", help="run every size, whatever its projected memory")
    parser.add_argument("--profile-size", type=int, help="subjects of the profile part (default: the largest run)")
    parser.add_argument("--part", action="append", choices=["startup", "study", "scale", "xpt", "profile", "stages"])
    parser.add_argument("--subjects", type=int, default=220, help="subjects of the stages part")
    parser.add_argument("--big-adtte", type=int, default=100_000, help="subjects in the resampled ADTTE (stages)")
    parser.add_argument("--make-adam", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_adam:
        return make_adam(Path(args.make_adam) / "raw", Path(args.make_adam), args.big_adtte)
    parts = args.part or ["startup", "study", "scale", "xpt", "profile"]
    titles = {"startup": "Startup", "study": "The default study against the import of its dependencies",
              "scale": "Scale", "xpt": "XPT writing", "profile": "Profile of the largest run", "stages": "Stages"}
    sizes = [int(s) for s in args.sizes.split(",")]
    ran = []
    with tempfile.TemporaryDirectory(prefix="mirocals-bench-") as tmp:
        raws = Path(tmp) / "raw"
        raws.mkdir()
        for part in parts:
            tmp_part = Path(tmp) / part
            tmp_part.mkdir()
            if part == "startup":
                lines = startup(max(args.repeats, 5))
            elif part == "study":
                lines = study(args.repeats, tmp_part)
            elif part == "scale":
                lines, ran = scale(sizes, args.repeats, tmp_part, raws, args.force)
            elif part == "xpt":
                lines = xpt(args.repeats)
            elif part == "profile":
                lines = profile(args.profile_size or max(ran or sizes), tmp_part, raws)
            else:
                lines = stages(args, tmp_part)
            print(f"## {titles[part]}\n", *lines, "", sep="\n", flush=True)
            if part == "scale":  # the raw forms of 100,000 subjects take GB: only the profile's are kept
                keep = raws / f"raw-{args.profile_size or max(ran or sizes)}"
                for folder in raws.iterdir():
                    if folder != keep:
                        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
