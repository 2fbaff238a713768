"""Run the study-metadata pandera schemas lazily over every dataset and collect every failure."""

from __future__ import annotations

import pandas as pd

from cdisc_mirocals.errors import Problem
from cdisc_mirocals.metadata.steps import ConformanceError
from cdisc_mirocals.spec import Standard
from cdisc_mirocals.validate.schemas import dataset_schema, failures


def validate_datasets(datasets: dict[str, pd.DataFrame], standard: Standard) -> list[Problem]:
    """Every schema failure as a Problem: dataset, record number (1-based), variable, value, expectation."""
    problems = []
    for name, frame in datasets.items():
        dataset = standard[name]
        found = failures(dataset_schema(dataset, standard, frame=frame), frame)
        found = found[~(found["rule"].eq("SD1152") & found.duplicated(["rule", "row"]))]  # a key: once per record
        for case in found.itertuples(index=False):
            row = None if pd.isna(case.row) else int(case.row) + 1
            column = None if pd.isna(case.variable) else str(case.variable)
            value = None if case.value is None or (not isinstance(case.value, str) and pd.isna(case.value)) \
                else str(case.value)
            expected = case.expected
            if case.rule == "SD1152":  # the whole key is at fault, not one of its variables
                column, value = None, None
            keys = ""
            if row is not None and dataset.keys:
                rec = frame.iloc[row - 1]
                keys = " (" + ", ".join(f"{k}={rec[k]}" for k in dataset.keys if k in frame) + ")"
            problems.append(Problem(f"{name}{keys}", row, column, value, expected))
    return problems
