"""What each ADaM dataset costs: `python benchmarks/adam_datasets.py [--sizes 220,22000] [--repeats 3]`.

For each size, the study is simulated, read and mapped to SDTM off the clock; then `shape_adam` runs
--repeats times, and each run times every dataset it builds: the CPU seconds of its derivation (the
`derive_adxx` function `shape_adam` calls) plus those of shaping it to its specification (`shape`).
The datasets are found by instrumenting `shape_adam` itself, not from a list here: a derivation
`shape_adam` calls by its `derive_<dataset>` name, and every `shape` it calls, are wrapped, so a dataset
added to `shape_adam` is measured with no change to this harness (a dataset shaped without a
`derive_<dataset>` call is still timed, with its derivation under "other").

Figures are medians of the repeats, and each is also given as a ratio to a baseline measured in the
same process at the same size: one `DataFrame.copy()` plus one stable `sort_values("USUBJID")` of
every SDTM dataset of the study, the least a derivation that reads its sources and returns new sorted
frames must pay. The machine is shared and noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

import cdisc_mirocals.adam as adam
from cdisc_mirocals.raw import read_raw
from cdisc_mirocals.sdtm import map_sdtm
from cdisc_mirocals.simulate import simulate_study, write_forms
from cdisc_mirocals.spec import load_spec

OTHER = "other (shape_adam outside the timed calls)"


def study_sdtm(n: int, spec) -> dict:
    """The SDTM of an n-subject simulated study (the simulator's default seed), built off the clock."""
    with tempfile.TemporaryDirectory() as tmp:
        write_forms(simulate_study(n, spec=spec), Path(tmp), spec)
        return map_sdtm(read_raw(Path(tmp), spec), spec).datasets


def baseline(sdtm: dict) -> float:
    start = time.process_time()
    for frame in sdtm.values():
        copy = frame.copy()
        if "USUBJID" in copy.columns:
            copy.sort_values("USUBJID", kind="stable")
    return time.process_time() - start


class Timer:
    """Wraps the module attributes `shape_adam` looks up at call time, adding up CPU seconds per dataset."""

    def __init__(self, spec):
        self.spec, self.seconds, self.records = spec, {}, {}
        self.saved = {}

    def _wrap(self, name: str, dataset_of):
        fn = getattr(adam, name)
        self.saved[name] = fn

        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                key = dataset_of(args, kwargs)
                self.seconds[key] = self.seconds.get(key, 0.0) + time.process_time() - start
        setattr(adam, name, timed)

    def __enter__(self):
        for name in [n for n in vars(adam) if n.startswith("derive_")]:
            dataset = name.removeprefix("derive_").upper()
            if dataset in self.spec.adam.datasets:
                self._wrap(name, lambda a, k, d=dataset: d)
        self._wrap("shape", lambda a, k: a[1].name)
        return self

    def __exit__(self, *exc):
        for name, fn in self.saved.items():
            setattr(adam, name, fn)

    def run(self, sdtm: dict) -> dict[str, float]:
        self.seconds = {}
        start = time.process_time()
        shaped = adam.shape_adam(sdtm, self.spec)
        total = time.process_time() - start
        self.records = {name: len(s.frame) for name, s in shaped.items()}
        out = {name: self.seconds.get(name, 0.0) for name in shaped}
        out[OTHER] = max(total - sum(self.seconds.values()), 0.0)
        out["shape_adam, all datasets"] = total
        return out


def measure(n: int, repeats: int, spec) -> tuple[float, dict[str, float], dict[str, int]]:
    sdtm = study_sdtm(n, spec)
    base, runs = [], []
    with Timer(spec) as timer:
        for _ in range(repeats):
            gc.collect()
            base.append(baseline(sdtm))
            runs.append(timer.run(sdtm))
        records = timer.records
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return statistics.median(base), medians, records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="220,22000", help="subjects, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spec = load_spec()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {n: measure(n, args.repeats, spec) for n in sizes}
    head = " | ".join(f"{n:,}: records | CPU s | x baseline" for n in sizes)
    print(f"Median of {args.repeats} runs; baseline: copy + sort by USUBJID of every SDTM dataset, same process.\n")
    print(f"| dataset | {head} |")
    print("|---|" + "---:|---:|---:|" * len(sizes))
    rows = list(results[sizes[-1]][1])
    base_cells = [c for n in sizes for c in ("", f"{results[n][0]:.3f}", "1.0")]
    print("| baseline: copy + sort of the SDTM | " + " | ".join(base_cells) + " |")
    for name in rows:
        cells = []
        for n in sizes:
            base, medians, records = results[n]
            seconds = medians.get(name, 0.0)
            cells.append(f"{records.get(name, ''):,}" if name in records else "")
            cells += [f"{seconds:.3f}", f"{seconds / base:.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
