"""The BDS verbs of adam/derive at scale: `python benchmarks/bds_toolkit.py [--subjects 22000] [--repeats 3]`.

An ADLB-like frame of --subjects x 10 laboratory tests x 9 visits (22,000 subjects: 1.98 million
records, synthetic values) goes through each verb in turn, as an ADLB would. Each figure is the median
CPU seconds of --repeats runs, and is also given as a ratio to the baseline measured in the same run:
one `DataFrame.copy()` of the frame plus one `sort_values` by subject, parameter and day, the least any
verb that returns a new frame in order must pay. The machine is shared and noisy: compare ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from cdisc_mirocals.adam.derive import (derive_extreme_records, derive_locf_records, derive_param_computed,
                                        derive_var_anl_flag, derive_var_anrind, derive_var_atoxgr,
                                        derive_var_atoxgr_dir, derive_var_base, derive_var_chg, derive_var_pchg,
                                        derive_var_shift, derive_vars_visit_window, desc, toxicity_terms)
from cdisc_mirocals.spec import load_spec
from cdisc_mirocals.spec.windows import windows_for

TESTS = ("HGB", "WBC", "NEUT", "LYM", "EOS", "PLAT", "ALT", "AST", "BILI", "CREAT")


def frame(subjects: int, spec) -> pd.DataFrame:
    days = [w["AWTARGET"] for w in windows_for(spec.windows, "ADLB")]
    grid = pd.MultiIndex.from_product([range(subjects), TESTS, days], names=["USUBJID", "PARAMCD", "DAY"])
    d = grid.to_frame(index=False)
    rng = np.random.default_rng(2054)
    d["USUBJID"] = "MIROCALS-" + d["USUBJID"].astype(str).str.zfill(6)
    return d.assign(ADY=d["DAY"] + rng.integers(-5, 6, len(d)), AVAL=rng.normal(50, 15, len(d)), ANRLO=20.0,
                    ANRHI=80.0, UNIT="10^9/L")


def steps(spec):
    g = spec.grading
    windows = windows_for(spec.windows, "ADLB")
    return [
        ("derive_vars_visit_window", lambda d: derive_vars_visit_window(d, windows=windows)),
        ("derive_var_anrind", lambda d: derive_var_anrind(d.assign(ABLFL=np.where(d["AVISIT"] == "BASELINE", "Y", "")))),
        ("derive_var_base", lambda d: derive_var_base(d, by_vars=["USUBJID", "PARAMCD"])),
        ("derive_var_base (BNRIND)", lambda d: derive_var_base(d, by_vars=["USUBJID", "PARAMCD"], source_var="ANRIND",
                                                               new_var="BNRIND")),
        ("derive_var_chg + pchg", lambda d: derive_var_pchg(derive_var_chg(d))),
        ("derive_var_shift", lambda d: derive_var_shift(d, new_var="SHIFT1", from_var="BNRIND", to_var="ANRIND")),
        ("derive_var_anl_flag", lambda d: derive_var_anl_flag(d, by_vars=["USUBJID", "PARAMCD", "AVISIT"],
                                                              order=["AWTDIFF", desc("ADY")])),
        ("toxicity_terms", lambda d: toxicity_terms(d, grading=g)),
        ("derive_var_atoxgr_dir (L)", lambda d: derive_var_atoxgr_dir(d, new_var="ATOXGRL", tox_description_var="ATOXDSCL",
                                                                      grading=g, criteria_direction="L", unit_var="UNIT")),
        ("derive_var_atoxgr_dir (H)", lambda d: derive_var_atoxgr_dir(d, new_var="ATOXGRH", tox_description_var="ATOXDSCH",
                                                                      grading=g, criteria_direction="H", unit_var="UNIT")),
        ("derive_var_atoxgr", lambda d: derive_var_atoxgr(d)),
    ]


def tail_steps(spec):
    windows = pd.DataFrame(windows_for(spec.windows, "ADLB"))[["AVISIT", "AVISITN"]]
    return [
        ("derive_extreme_records", lambda d: derive_extreme_records(
            d, by_vars=["USUBJID", "PARAMCD"], order=[desc("AVAL"), "ADY"], mode="first",
            filter_add=lambda x: x["AVISITN"] > 0, set_values_to={"DTYPE": "MAXIMUM"})),
        ("derive_locf_records", lambda d: derive_locf_records(
            d[d.index % 7 != 0], windows.merge(d[["USUBJID", "PARAMCD"]].drop_duplicates(), how="cross"),
            by_vars=["USUBJID", "PARAMCD"], order=["AVISITN"], keep_vars=["ADY"], filter=lambda x: x["ANL01FL"] == "Y")),
        ("derive_param_computed", lambda d: derive_param_computed(
            d, by_vars=["USUBJID", "AVISIT"], parameters=["ALT", "AST"], filter=lambda x: x["ANL01FL"] == "Y",
            set_values_to={"PARAMCD": "ALTAST", "AVAL": lambda w: w["AVAL.ALT"] / w["AVAL.AST"]})),
    ]


def cpu(fn) -> tuple[float, object]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=22000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    spec = load_spec()
    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        d = frame(args.subjects, spec)
        times.setdefault("baseline: copy + sort", []).append(
            cpu(lambda: d.copy().sort_values(["USUBJID", "PARAMCD", "DAY"], kind="stable"))[0])
        for name, step in steps(spec):
            seconds, d = cpu(lambda: step(d))
            times.setdefault(name, []).append(seconds)
        for name, step in tail_steps(spec):
            times.setdefault(name, []).append(cpu(lambda: step(d))[0])
    base = statistics.median(times["baseline: copy + sort"])
    print(f"{args.subjects} subjects, {len(d):,} records, median of {args.repeats} (CPU seconds, ratio to baseline)")
    for name, values in times.items():
        m = statistics.median(values)
        print(f"  {name:<28} {m:8.3f} s  {m / base:6.1f}x")


if __name__ == "__main__":
    main()
