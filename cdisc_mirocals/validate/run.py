"""Run the study-metadata pandera schemas lazily over every dataset and collect every failure."""

from __future__ import annotations

import ast

import pandas as pd

from cdisc_mirocals.errors import Problem, ProblemsError
from cdisc_mirocals.spec import Standard
from cdisc_mirocals.validate.schemas import dataset_schema, failures


class ConformanceError(ProblemsError):
    kind = "conformance error"


def validate_datasets(datasets: dict[str, pd.DataFrame], standard: Standard) -> list[Problem]:
    """Every schema failure as a Problem: dataset, record number (1-based), variable, value, expectation."""
    problems = []
    for name, frame in datasets.items():
        dataset = standard[name]
        found = failures(dataset_schema(dataset, standard, frame=frame), frame)
        found = found[~(found["rule"].eq("SD1152") & found.duplicated(["rule", "row"]))]
        for case in found.itertuples(index=False):
            row = None if pd.isna(case.row) else int(case.row) + 1
            column = None if pd.isna(case.variable) else str(case.variable)
            value = None if case.value is None or (not isinstance(case.value, str) and pd.isna(case.value)) else str(case.value)
            if column is not None and column not in frame.columns and value and value.startswith("{"):
                column, value = next(iter(ast.literal_eval(value).items()))  # a frame-wide check's {variable: value}
                value = str(value)
            keys = ""
            if row is not None and dataset.keys:
                rec = frame.iloc[row - 1]
                keys = " (" + ", ".join(f"{k}={rec[k]}" for k in dataset.keys if k in frame) + ")"
            expected = case.expected
            if case.rule == "SD1152":
                column, value, expected = None, None, "multiple_fields_uniqueness"
            problems.append(Problem(f"{name}{keys}", row, column, value, expected))
    return problems
